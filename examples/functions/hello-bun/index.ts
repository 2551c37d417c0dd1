import { type Context, handler } from "../../../sdk/js/alyx.mjs";

handler((input: { name?: string } | null, ctx: Context) => {
  const name = input?.name ?? "World";
  ctx.log.info("greeting", { name });
  return { message: `Hello, ${name}!`, runtime: "bun", version: Bun.version };
});
