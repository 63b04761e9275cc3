// --dest as the restore and plan commands take it.
import { resolve } from 'node:path';
import { UnsafeDestinationNameError, unsafeDestinationCharacters } from '../core/destination-name';
import { UsageError } from './usage-error';

/** The absolute path of `--dest`; a bad usage (exit 2) when it holds characters a shell or restore_command would interpret. */
export function destinationArgument(dest: string): string {
  const destination = resolve(dest);
  const unsafe = unsafeDestinationCharacters(destination);
  if (unsafe.length > 0) throw new UsageError(new UnsafeDestinationNameError(destination, unsafe).message);
  return destination;
}
