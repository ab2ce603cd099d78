/**
 * A list of ports as nmap's `-p` writes it: numbers and ranges separated by commas
 * ("22,25,80", "1-1024", "8000-8200,8443"), or "-" for every port from 1 to 65535. Port 0
 * is not scannable (no server can be reached on it), so lists start at 1.
 */
export function parsePortList(text: string): number[] {
  const spec = text.trim();
  if (spec === "-") return range(1, 65535);
  if (spec === "") throw new RangeError("the port list is empty: give ports like 22,80 or a range like 1-1024");
  const ports = new Set<number>();
  for (const part of spec.split(",")) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!match) throw new RangeError(`${JSON.stringify(part)} is not a port or a range: write 25, or 1-1024`);
    const low = portNumber(match[1]!);
    const high = match[2] === undefined ? low : portNumber(match[2]);
    if (high < low) throw new RangeError(`${part.trim()} runs backwards: write the lower port first (${high}-${low})`);
    for (let port = low; port <= high; port++) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

function portNumber(digits: string): number {
  const port = Number(digits);
  if (port < 1 || port > 65535) throw new RangeError(`${digits} is not a port to scan: use 1-65535`);
  return port;
}

function range(low: number, high: number): number[] {
  return Array.from({ length: high - low + 1 }, (_, i) => low + i);
}
