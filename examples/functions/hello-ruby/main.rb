# In your own project, copy sdk/ruby/alyx.rb next to main.rb instead.
require_relative "../../../sdk/ruby/alyx"

Alyx.handler do |input, ctx|
  name = (input || {}).fetch("name", "World")
  ctx.log.info("greeting", { name: name })
  { message: "Hello, #{name}!", runtime: "ruby", version: RUBY_VERSION }
end
