import { AlyxError, handler } from "../../../sdk/js/alyx.mjs";

// A function exposed on HTTP routes (see manifest.yaml). The host maps the
// request to input: { method, title? }. State would live in a database; a
// one-shot process has none, so this one starts from a fixed list.
const seed = [
  { id: 1, title: "Write a function", done: true },
  { id: 2, title: "Run it with @alyx/runtime", done: false },
];

handler((input, ctx) => {
  const method = (input?.method ?? "GET").toUpperCase();
  if (method === "GET") return { todos: seed };
  if (method === "POST") {
    if (!input.title) throw new AlyxError("VALIDATION_ERROR", "title is required", { field: "title" });
    const todo = { id: seed.length + 1, title: input.title, done: false, owner: ctx.auth?.id ?? null };
    ctx.log.info("todo created", { id: todo.id });
    return { todo };
  }
  throw new AlyxError("METHOD_NOT_ALLOWED", `${method} is not supported`, { allowed: ["GET", "POST"] });
});
