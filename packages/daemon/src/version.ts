/** herd's version, as reported by the API. */
export const herdVersion = '0.1.0';
