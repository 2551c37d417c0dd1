# Alyx function SDK for Ruby: one file, standard library only.
#
#   require_relative "alyx"
#
#   Alyx.handler do |input, ctx|
#     ctx.log.info("greeting", { name: input["name"] })
#     { message: "Hello, #{input['name']}!" }
#   end
#
# Alyx.handler reads the request from stdin, calls the block with (input, ctx),
# writes the response to stdout and exits: 0 on success, 1 on error. Raise
# Alyx::Error.new(code, message, details) to fail with your own code; any other
# exception fails with FUNCTION_ERROR.

require "json"
require "time"

module Alyx
  FUNCTION_ERROR = "FUNCTION_ERROR"

  # Raise to fail the function with a code of your choosing.
  class Error < StandardError
    attr_reader :code, :details

    def initialize(code, message, details = nil)
      super(message)
      @code = code
      @details = details
    end
  end

  # Structured logs: one JSON line on stderr per call.
  class Logger
    %w[debug info warn error].each do |level|
      define_method(level) { |message, data = nil| write(level, message, data) }
    end

    private

    def write(level, message, data)
      entry = { level: level, message: message.to_s }
      entry[:data] = data unless data.nil?
      entry[:timestamp] = Time.now.utc.iso8601(3)
      STDERR.write(JSON.generate(entry) + "\n")
    end
  end

  # What the runtime tells a function about its invocation.
  class Context
    attr_reader :request_id, :function_name, :auth, :env, :alyx_url, :internal_token, :deadline_ms, :log

    def initialize(request)
      context = request["context"] || {}
      @request_id = request["request_id"].to_s
      @function_name = (request["function_name"] || request["function"]).to_s
      @auth = context["auth"]
      @env = context["env"] || {}
      @alyx_url = context["alyx_url"].to_s
      @internal_token = context["internal_token"].to_s
      @deadline_ms = context["deadline_ms"].to_i
      @log = Logger.new
    end
  end

  def self.handler(callable = nil, &block)
    fn = callable || block
    request = begin
      JSON.parse($stdin.read)
    rescue JSON::ParserError => e
      finish($stdout, { success: false, error: { code: "INVALID_REQUEST", message: "cannot read the request: #{e.message}" } })
    end
    finish(private_stdout, run(fn, request))
  end

  # Points fd 1 at stderr, so puts, print and child processes write logs, and
  # returns a private copy of the real stdout for the response.
  def self.private_stdout
    $stdout.flush
    real = STDOUT.dup
    STDOUT.reopen(STDERR)
    $stdout = $stderr
    real
  end

  def self.run(fn, request)
    output = fn.call(request["input"], Context.new(request))
    { success: true, output: output }
  rescue Alyx::Error => e
    error = { code: e.code, message: e.message }
    error[:details] = e.details unless e.details.nil?
    { success: false, error: error }
  rescue StandardError, ScriptError => e
    # The backtrace goes to the logs, not to whoever called the function.
    Logger.new.error("unhandled exception", { backtrace: e.full_message(highlight: false) })
    { success: false, error: { code: FUNCTION_ERROR, message: e.message, details: { type: e.class.name } } }
  end

  def self.finish(out, response)
    text = begin
      JSON.generate(response)
    rescue StandardError => e
      response = { success: false, error: { code: FUNCTION_ERROR, message: "output cannot be serialised to JSON: #{e.message}" } }
      JSON.generate(response)
    end
    out.write(text + "\n")
    out.flush
    exit(response[:success] ? 0 : 1)
  end

  private_class_method :private_stdout, :run, :finish
end
