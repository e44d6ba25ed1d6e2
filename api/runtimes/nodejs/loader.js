// CommonJS for the user's code, read through `fc:function/files` from the
// read-only code directory (and the layers' `/opt/nodejs/node_modules`).
// `index.handler` is `exports.handler` of `/code/index.js`; `src/app.main`
// is `exports.main` of `/code/src/app.js`. Each instance loads a file once.

import { readFile } from 'fc:function/files@0.1.0';
import { builtins, path } from './builtins.js';

const CODE_DIR = '/code';
const LAYER_MODULES = ['/opt/nodejs/node_modules'];
const decoder = new TextDecoder();
const cache = new Map();

export class HandlerNotFound extends Error {
  constructor(message) {
    super(message);
    this.name = 'HandlerNotFound';
  }
}

function read(file) {
  const bytes = readFile(file);
  return bytes === undefined ? undefined : decoder.decode(bytes);
}

function asFile(candidate) {
  for (const file of [candidate, `${candidate}.js`, `${candidate}.json`, `${candidate}.cjs`]) {
    const source = read(file);
    if (source !== undefined) return { file, source };
  }
  return undefined;
}

function asDirectory(dir) {
  const manifest = read(`${dir}/package.json`);
  if (manifest !== undefined) {
    let main;
    try {
      main = JSON.parse(manifest).main;
    } catch {
      main = undefined;
    }
    if (typeof main === 'string' && main) {
      const target = path.join(dir, main);
      const found = asFile(target) || asFile(`${target}/index`);
      if (found) return found;
    }
  }
  return asFile(`${dir}/index`);
}

function resolve(id, fromDir) {
  if (id.startsWith('./') || id.startsWith('../') || id.startsWith('/') || id === '.' || id === '..') {
    const target = id.startsWith('/') ? path.normalize(id) : path.join(fromDir, id);
    return asFile(target) || asDirectory(target);
  }
  const roots = [];
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    roots.push(`${dir === '/' ? '' : dir}/node_modules`);
    if (dir === '/' || dir === '.') break;
  }
  for (const root of [...roots, ...LAYER_MODULES]) {
    const found = asFile(`${root}/${id}`) || asDirectory(`${root}/${id}`);
    if (found) return found;
  }
  return undefined;
}

function evaluate({ file, source }) {
  const module = { id: file, filename: file, loaded: false, exports: {} };
  cache.set(file, module);
  try {
    if (file.endsWith('.json')) {
      module.exports = JSON.parse(source);
    } else {
      const body = source.startsWith('#!') ? `//${source}` : source;
      const dirname = path.dirname(file);
      const wrapper = new Function('exports', 'require', 'module', '__filename', '__dirname', `${body}\n//# sourceURL=${file}`);
      wrapper.call(module.exports, module.exports, requireFrom(dirname), module, file, dirname);
    }
  } catch (error) {
    cache.delete(file);
    throw error;
  }
  module.loaded = true;
  return module;
}

function requireFrom(dir) {
  const require = (id) => {
    const name = String(id).startsWith('node:') ? String(id).slice(5) : String(id);
    if (Object.hasOwn(builtins, name)) return builtins[name];
    const found = resolve(name, dir);
    if (!found) {
      const error = new Error(
        `Cannot find module '${id}' from ${dir}` +
          (/^[a-z_]+$/.test(name) ? ` (built-in modules available in wasm-fc: ${Object.keys(builtins).join(', ')})` : ''),
      );
      error.code = 'MODULE_NOT_FOUND';
      throw error;
    }
    return (cache.get(found.file) || evaluate(found)).exports;
  };
  require.resolve = (id) => {
    const found = resolve(String(id), dir);
    if (!found) throw new Error(`Cannot find module '${id}'`);
    return found.file;
  };
  require.cache = cache;
  return require;
}

/** The function a handler string names. */
export function functionOf(handler) {
  const dot = handler.lastIndexOf('.');
  const modulePath = handler.slice(0, dot);
  const name = handler.slice(dot + 1);
  if (dot <= 0 || !name || modulePath.startsWith('/') || modulePath.split('/').includes('..')) {
    throw new HandlerNotFound(`handler '${handler}' must be <file>.<function>, e.g. index.handler`);
  }
  const file = `${CODE_DIR}/${modulePath}.js`;
  let module = cache.get(file);
  if (!module) {
    const source = read(file);
    if (source === undefined) {
      throw new HandlerNotFound(`the handler '${handler}' needs ${modulePath}.js in the code package, and it is not there`);
    }
    module = evaluate({ file, source });
  }
  const found = module.exports[name];
  if (typeof found !== 'function') {
    throw new HandlerNotFound(`${modulePath}.js does not export a function '${name}' (handler '${handler}')`);
  }
  return found;
}
