export { restoreToPointInTime } from './restore';
export { describeArchive, previewRestore } from './archive-queries';
