// A Temporal client from the standard configuration (profiles, TLS, API key, TEMPORAL_* variables).
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';

export interface ConnectedClient {
  client: Client;
  namespace: string;
  close(): Promise<void>;
}

export async function connectClient(): Promise<ConnectedClient> {
  const config = loadClientConnectConfig();
  const connection = await Connection.connect(config.connectionOptions);
  const namespace = config.namespace ?? 'default';
  return { client: new Client({ connection, namespace }), namespace, close: () => connection.close() };
}

export function workflowUiLink(namespace: string, workflowId: string, runId?: string): string {
  const base = (process.env.PITR_TEMPORAL_UI || 'http://localhost:8233').replace(/\/$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${runId}` : ''}`;
}
