// Source of the build-step example; build.sh stamps it into dist/index.mjs.
import { handler } from '@alyx/runtime/sdk'

const BUILD = { builtAt: '__BUILT_AT__', sourceLines: __SOURCE_LINES__ }

handler((input, ctx) => {
  const name = input?.name ?? 'World'
  ctx.log.info('greeting', { name, build: BUILD })
  return { message: `Hello, ${name}!`, build: BUILD }
})
