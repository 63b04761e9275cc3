// The median of a list of numbers (the mean of the middle two for an even count): the benchmark scripts' one summary.
'use strict';
module.exports.median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
