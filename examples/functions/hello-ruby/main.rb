require "alyx" # on RUBYLIB: the runtime adds the SDK that ships in @alyx/runtime

Alyx.handler do |input, ctx|
  name = (input || {}).fetch("name", "World")
  ctx.log.info("greeting", { name: name })
  { message: "Hello, #{name}!", runtime: "ruby", version: RUBY_VERSION }
end
