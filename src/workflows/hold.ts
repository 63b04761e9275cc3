// A held restore (pitr restore --hold): after verify proved the target, the workflow stays open with PostgreSQL
// paused there on a private port and socket, until a person decides. Each decision is a workflow update, checked by
// its validator before it is accepted and recorded in the history: `advance` moves the target later (only the
// additional WAL is planned and fetched, PostgreSQL restarts and replays on from where it paused; repeatable),
// `finish` promotes or stops it and frees the work area. The `held` query says where it stands (pitr status).
import { allHandlersFinished, ApplicationFailure, CancellationScope, condition, isCancellation, defineQuery, defineUpdate, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { advanceRefusal, connectionHint } from '../core/held-restore';
import { describeTarget, type RecoveryTarget } from '../core/recovery-target';
import { targetProblem } from '../core/restore-input';
import { FailureTypes, SearchAttributes, type AdvanceResult, type FinishMode, type HeldState, type RestoreInput, type RestorePlan, type RestoreResult, type TransferResult, type VerifyResult } from '../shared';
import type { EnterPhase, Steps } from './restore';
import { stepFailure } from './step-failure';

export const advanceUpdate = defineUpdate<AdvanceResult, [RecoveryTarget]>('advance');
export const finishUpdate = defineUpdate<RestoreResult, [FinishMode]>('finish');
export const heldQuery = defineQuery<HeldState | null>('held');

type Outcome = { base: TransferResult; wal: TransferResult; walFilesRegistered: number };

/** The decisions a restore accepts, registered when it starts: before it is held (or without --hold) they are refused with the reason. */
export class HoldDecisions {
  private state: HeldState | null = null;
  private readonly advances: AdvanceResult[] = [];
  private finished: RestoreResult | undefined;
  private failure: unknown;
  private outcome: Outcome | undefined;
  private keeper: CancellationScope | undefined;
  private keeping: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly input: RestoreInput,
    private readonly steps: Steps,
    private readonly enter: EnterPhase,
  ) {
    setHandler(heldQuery, () => this.state);
    setHandler(advanceUpdate, (target) => this.advance(target), { validator: (target) => this.refuse('advance', advanceProblem(this.state, target)) });
    setHandler(finishUpdate, (mode) => this.finish(mode), {
      validator: (mode) => this.refuse('finish', mode === 'promote' || mode === 'stop' ? null : `finish takes "promote" or "stop", not ${JSON.stringify(mode)}`),
    });
  }

  /** Verify that leaves PostgreSQL paused at the target, then waits for `finish` (or a failed advance, or a cancel). */
  async hold(plan: RestorePlan, outcome: Outcome): Promise<RestoreResult> {
    const held = await this.steps.verifyAndHold.executeWithOptions(
      this.enter('Verify', `starting PostgreSQL privately until replay reaches ${describeTarget(this.input.target)}, then holding it there`),
      [this.input, plan],
    );
    this.state = { state: 'held', target: this.input.target, plan, verify: held.verify, server: held.server, advances: 0 };
    this.outcome = outcome;
    this.showHeld();
    const ended = () => this.finished !== undefined || this.failure !== undefined;
    while (!ended()) {
      await condition(() => ended() || this.state!.state === 'held');
      if (!ended()) await this.keepHeld();
    }
    await condition(allHandlersFinished);
    if (this.failure !== undefined) throw this.failure;
    return this.finished!;
  }

  /** One round of keepHeld: until it returns (the server changed, or the round ended) or a decision cancels it. */
  private async keepHeld(): Promise<void> {
    const s = this.state!;
    this.keeper = new CancellationScope();
    const round = this.keeper.run(() =>
      this.steps.keepHeld.executeWithOptions({ summary: `keeping PostgreSQL paused at ${describeTarget(s.target)}`.slice(0, 200) }, [{ ...this.input, target: s.target }, s.plan, { verify: s.verify, server: s.server }]),
    );
    this.keeping = round.catch(() => undefined);
    try {
      const changed = await round;
      if (changed && this.state!.state === 'held') {
        this.state = { ...this.state!, verify: changed.verify, server: changed.server };
        this.showHeld();
      }
    } catch (err) {
      // A decision cancelled the round (it takes over the server); the restore's own cancel goes on to its clean-up.
      if (!isCancellation(err) || CancellationScope.current().consideredCancelled) throw err;
    } finally {
      this.keeper = undefined;
    }
  }

  /** Before a decision acts on the server: the keeper stops (and has stopped) watching it. */
  private async stopKeeping(): Promise<void> {
    this.keeper?.cancel();
    await this.keeping;
  }

  private refuse(decision: string, problem: string | null): void {
    const why = this.state === null ? notHeldYet(this.input) : this.state.state !== 'held' ? `it is ${this.state.state}; wait for that to end` : problem;
    if (why) throw ApplicationFailure.create({ type: FailureTypes.NotAdvanceable, nonRetryable: true, message: `cannot ${decision} restore ${workflowInfo().workflowId}: ${why}` });
  }

  private async advance(target: RecoveryTarget): Promise<AdvanceResult> {
    const from = this.state!;
    this.state = { ...from, state: 'advancing' };
    await this.stopKeeping();
    const input = { ...this.input, target };
    let plan: RestorePlan;
    try {
      plan = await this.steps.planAdvance.executeWithOptions(this.enter('Advance', `planning the WAL from ${from.verify.stoppedAt.description} to ${describeTarget(target)}`), [input, from.plan, target]);
    } catch (err) {
      // Refused or unplannable: nothing changed, the restore is still held where it was.
      this.state = from;
      this.showHeld();
      throw stepFailure(err);
    }
    try {
      const wal = await this.steps.syncWalRange.executeWithOptions(this.enter('Advance', `downloading the WAL up to ${plan.endWal} (segments already on disk are kept)`), [input, plan]);
      const replay = await this.steps.advanceHeldRestore.executeWithOptions(
        this.enter('Advance', `restarting PostgreSQL with the target ${describeTarget(target)}: replay goes on from where it paused`),
        [input, plan],
      );
      const result: AdvanceResult = { target, plan, wal, verify: replay.verify, server: replay.server };
      this.advances.push(result);
      this.state = { state: 'held', target, plan, verify: replay.verify, server: replay.server, advances: this.advances.length };
      if (target.kind === 'time') upsertSearchAttributes([{ key: SearchAttributes.targetTime, value: new Date(target.utc) }]);
      this.showHeld();
      return result;
    } catch (err) {
      // The destination may now be between targets: the restore fails, saying why, rather than claim a stop it did not prove.
      this.failure = stepFailure(err);
      throw this.failure;
    }
  }

  private async finish(mode: FinishMode): Promise<RestoreResult> {
    const held = this.state!;
    this.state = { ...held, state: 'finishing' };
    await this.stopKeeping();
    try {
      const verify: VerifyResult = await this.steps.finishHeldRestore.executeWithOptions(
        this.enter('Finish', mode === 'promote' ? 'promoting PostgreSQL, stopping it, freeing the work area' : 'stopping PostgreSQL paused at the target, freeing the work area'),
        [{ ...this.input, target: held.target }, held.plan, held.verify, mode],
      );
      this.enter('Done', `${mode === 'promote' ? 'promoted' : 'stopped paused'} at ${describeTarget(held.target)}: last replayed commit ${verify.lastReplayedCommit ?? 'unknown'}`);
      this.finished = {
        restoreId: workflowInfo().workflowId,
        destination: this.input.destination,
        plan: held.plan,
        ...this.outcome!,
        verify,
        advances: this.advances,
        finishedWith: mode,
      };
      return this.finished;
    } catch (err) {
      this.failure = stepFailure(err);
      throw this.failure;
    }
  }

  private showHeld(): void {
    const s = this.state!;
    const id = workflowInfo().workflowId;
    this.enter('Held', `PostgreSQL paused at ${describeTarget(s.target)} (replay stopped ${s.verify.stoppedAt.description}, last replayed commit ${s.verify.lastReplayedCommit ?? 'none'})`);
    // The details carry what a person needs to look and to decide (the UI's current details).
    setCurrentDetails(
      [
        `**Held** at ${describeTarget(s.target)}: replay stopped ${s.verify.stoppedAt.description}, last replayed commit ${s.verify.lastReplayedCommit ?? 'none'}, timeline ${s.verify.timeline}${s.advances > 0 ? ` (after ${s.advances} advance${s.advances > 1 ? 's' : ''})` : ''}.`,
        `Connect: ${connectionHint(s.server)}.`,
        `Decide: \`pitr advance ${id} --target-time T\` (or another target kind, later than this one), \`pitr finish ${id} --promote\` or \`--stop\`.`,
      ].join('\n\n'),
    );
  }
}

function notHeldYet(input: RestoreInput): string {
  return input.hold ? 'it is not held yet (the restore is still on its way to the target): wait until pitr status says Held' : 'it was started without --hold, so it does not stay at the target';
}

function advanceProblem(state: HeldState | null, target: RecoveryTarget): string | null {
  const shape = targetProblem(target);
  if (shape) return `the target ${shape}`;
  return state ? advanceRefusal(state, target) : null;
}
