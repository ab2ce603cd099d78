// A module: browsers load modules only when the type is JavaScript (text/javascript).
export const wellKnown = { http: 80, smtp: 25, echo: 7 };
