// Reading a file root did not make, in a folder another user owns: never through a link that user could
// have put in its place (the content would be root's file, quoted into an error and the workflow history).
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** The text of `path`, or '' when it is absent, unreadable, or a symbolic link (O_NOFOLLOW). */
export async function readTextNoFollow(path: string): Promise<string> {
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}
