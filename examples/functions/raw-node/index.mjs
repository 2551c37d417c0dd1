// The wire protocol by hand, no SDK: read one JSON request from stdin, write
// one JSON response to stdout, log to stderr, exit 0 (or 1 on failure).
let text = ''
for await (const chunk of process.stdin) text += chunk
const request = JSON.parse(text)

const name = request.input?.name ?? 'World'
console.error(JSON.stringify({ level: 'info', message: 'greeting', data: { name } }))

const response = {
  success: true,
  output: { message: `Hello, ${name}!`, requestId: request.request_id, deadlineMs: request.context.deadline_ms },
}
process.stdout.write(JSON.stringify(response) + '\n')
