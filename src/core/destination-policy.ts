// Where a restore may write its data directory. The worker runs as root and --force moves an existing
// directory aside: a mistyped --dest must never move /etc, /usr or a home folder out of the way, nor put
// a database inside a system tree. Paths follow the Filesystem Hierarchy Standard
// (https://refspecs.linuxfoundation.org/FHS_3.0/fhs/index.html): the trees below hold the system, the
// directories below hold many things besides one restore, so neither is ever a destination.

/** System trees: no destination inside them. */
export const SYSTEM_TREES = ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/run', '/sbin', '/sys', '/usr'];

/** Shared directories: a destination may be inside them, never one of them. */
export const SHARED_DIRECTORIES = [
  '/',
  '/home',
  '/media',
  '/mnt',
  '/opt',
  '/root',
  '/srv',
  '/tmp',
  '/var',
  '/var/backups',
  '/var/cache',
  '/var/lib',
  '/var/lib/barman',
  '/var/lib/postgresql',
  '/var/log',
  '/var/mail',
  '/var/spool',
  '/var/tmp',
];

export interface DestinationPolicy {
  /** PITR_DESTINATION_ROOTS: when not empty, destinations must lie strictly inside one of these. */
  roots: string[];
}

function inside(path: string, parent: string): boolean {
  return parent === '/' ? path !== '/' : path.startsWith(`${parent}/`);
}

/** Why `destination` (absolute, normalised, symbolic links resolved) is not allowed, or null when it is. */
export function destinationPolicyViolation(destination: string, policy: DestinationPolicy): string | null {
  const tree = SYSTEM_TREES.find((t) => destination === t || inside(destination, t));
  if (tree) return `${destination} is in the system tree ${tree}, where no database belongs`;
  if (SHARED_DIRECTORIES.includes(destination)) return `${destination} is a shared system directory, not a data directory of its own; name a new folder inside it`;
  if (policy.roots.length > 0 && !policy.roots.some((root) => inside(destination, root))) {
    return `${destination} is outside the destination roots this worker allows (PITR_DESTINATION_ROOTS=${policy.roots.join(':')})`;
  }
  return null;
}

/** PITR_DESTINATION_ROOTS as a list: absolute, normalised folders separated by ':'; throws naming a bad entry. */
export function parseDestinationRoots(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(':').map((root) => {
    const trimmed = root.trim();
    if (!trimmed.startsWith('/') || trimmed.includes('//') || /(^|\/)\.\.?(\/|$)/.test(trimmed) || (trimmed.length > 1 && trimmed.endsWith('/'))) {
      throw new Error(`PITR_DESTINATION_ROOTS entry ${JSON.stringify(root)} is not an absolute, normalised folder such as /srv/restores`);
    }
    return trimmed;
  });
}
