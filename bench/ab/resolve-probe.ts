/**
 * `node [flags] <bench>/ab/resolve-probe.js <specifier>…`: prints, as a JSON
 * array, what each specifier resolves to from this file, as the stacks beside
 * it would see it.
 */
process.stdout.write(JSON.stringify(process.argv.slice(2).map((specifier) => import.meta.resolve(specifier))));
