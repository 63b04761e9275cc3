export { restoreToPointInTime } from './restore';
