// The same types seen from an ES module (Node's ESM → CJS named-export
// interop): the named imports must resolve under `module: nodenext`.
import { CODES, FunctionRuntime, parseManifest, type InvokeResult } from '../../index.js'
import runtime from '../../index.js'

const rt = new FunctionRuntime({ functionsDir: './functions' })
const res: InvokeResult = await rt.invoke('hello', { name: 'World' })
if (!res.success && res.error.code === CODES.TIMEOUT) console.log('timed out')
const viaDefault: typeof FunctionRuntime = runtime.FunctionRuntime
console.log(parseManifest('name: x').name, viaDefault.name)
await rt.close()
