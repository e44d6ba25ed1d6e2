// The function's log in FC's Node.js format:
// `2024-05-01T08:00:00.123Z <request id> [verbose] message`.

const write = console.log.bind(console);
let requestId = '';

export function setRequestId(id) {
  requestId = id;
}

function show(value) {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.stack ? `${value.name}: ${value.message}\n${value.stack}` : String(value);
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/** util.format's common cases: %s %d %i %f %j %o %O %%, then the rest spaced. */
export function format(...args) {
  if (typeof args[0] !== 'string') return args.map(show).join(' ');
  let rest = args.slice(1);
  const head = args[0].replace(/%[sdifjoO%]/g, (spec) => {
    if (spec === '%%') return '%';
    if (rest.length === 0) return spec;
    const value = rest.shift();
    switch (spec) {
      case '%d':
      case '%i':
        return String(spec === '%i' ? parseInt(value, 10) : Number(value));
      case '%f':
        return String(parseFloat(value));
      case '%j':
        return JSON.stringify(value);
      default:
        return show(value);
    }
  });
  return [head, ...rest.map(show)].join(' ');
}

function line(level, args) {
  write(`${new Date().toISOString()} ${requestId} [${level}] ${format(...args)}`);
}

/** `context.logger` and the global console both write FC's format. */
export const logger = {
  verbose: (...args) => line('verbose', args),
  debug: (...args) => line('debug', args),
  info: (...args) => line('info', args),
  warn: (...args) => line('warn', args),
  error: (...args) => line('error', args),
  log: (...args) => line('verbose', args),
};

export function installConsole() {
  console.log = logger.verbose;
  console.debug = logger.debug;
  console.info = logger.info;
  console.warn = logger.warn;
  console.error = logger.error;
  console.trace = logger.verbose;
}
