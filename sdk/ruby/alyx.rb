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
#
# Under ALYX_WORKER=1 the same Alyx.handler serves one call per request line
# until stdin ends (the worker protocol of docs/PROTOCOL.md): globals persist
# between calls, and an exception fails only its own call.

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
      Alyx.stderr_line(JSON.generate(entry))
    end
  end

  # Worker mode: prepended to STDERR and STDOUT (both stderr then), it
  # remembers whether the last write left a line unfinished (a progress dot),
  # so that the next log line or end marker starts a line of its own. What
  # child processes write is not seen.
  module LineTracker
    class << self
      attr_accessor :open
    end

    def write(*args)
      last = args.last.to_s
      LineTracker.open = !last.end_with?("\n") unless last.empty?
      super
    end
  end

  # A whole line on stderr, on a line of its own.
  def self.stderr_line(text)
    text = "\n#{text}" if LineTracker.open
    STDERR.write("#{text}\n")
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
    if @worker_stdout
      serve(fn, @worker_stdout)
      exit(0)
    end
    request = begin
      JSON.parse($stdin.read)
    rescue JSON::ParserError => e
      finish($stdout, { success: false, error: { code: "INVALID_REQUEST", message: "cannot read the request: #{e.message}" } })
    end
    # Started before its call (standby): the per-call variables come from the request.
    set_env(call_env(request)) if ENV["ALYX_STANDBY"] == "1" && request.is_a?(Hash)
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

  # The response as JSON text; an output that cannot be serialised turns it
  # into a FUNCTION_ERROR failure.
  def self.serialise(response)
    [JSON.generate(response), response]
  rescue StandardError => e
    failure = { success: false, error: { code: FUNCTION_ERROR, message: "output cannot be serialised to JSON: #{e.message}" } }
    failure[:request_id] = response[:request_id] if response.key?(:request_id)
    [JSON.generate(failure), failure]
  end

  def self.finish(out, response)
    text, response = serialise(response)
    out.write(text + "\n")
    out.flush
    exit(response[:success] ? 0 : 1)
  end

  private_class_method :private_stdout, :run, :serialise, :finish

  # --- worker mode (docs/PROTOCOL.md, "Worker protocol") --------------------

  # The worker loop: ready, then one call per request line until stdin ends.
  def self.serve(fn, out)
    out.write(%({"alyx":"ready"}\n))
    out.flush
    while (line = STDIN.gets)
      serve_one(fn, line.force_encoding(Encoding::UTF_8), out) unless line.strip.empty?
    end
  end

  def self.serve_one(fn, line, out)
    request = parse_request(line)
    if request.is_a?(Hash)
      saved = set_env(call_env(request))
      begin
        response = run(fn, request)
      ensure
        restore_env(saved)
      end
    else
      response = { success: false, error: { code: "INVALID_REQUEST", message: "cannot read the request: #{request}" } }
      request = {}
    end
    response[:request_id] = request["request_id"]
    text, = serialise(response)
    flush_prints
    out.write(text + "\n")
    out.flush
    # After everything the call wrote to stderr: the runtime gives the lines
    # before this marker to this call.
    stderr_line(JSON.generate({ alyx: "end", request_id: request["request_id"] }))
    STDERR.flush
  end

  # The request, or a message saying why the line is not one.
  def self.parse_request(line)
    request = JSON.parse(line)
    request.is_a?(Hash) ? request : "not a JSON object"
  rescue JSON::ParserError => e
    e.message
  end

  # What a one-shot process would have had in its env for this call: the
  # call's context.env, then the four per-call ALYX_ variables.
  def self.call_env(request)
    context = request["context"] || {}
    env = (context["env"] || {}).to_h { |key, value| [key.to_s, value.to_s] }
    env.merge(
      "ALYX_REQUEST_ID" => request["request_id"].to_s,
      "ALYX_INTERNAL_TOKEN" => context["internal_token"].to_s,
      "ALYX_DEADLINE_MS" => context["deadline_ms"].to_i.to_s,
      "ALYX_AUTH" => JSON.generate(context["auth"])
    )
  end

  def self.set_env(values)
    values.to_h do |key, value|
      saved = [key, ENV[key]]
      ENV[key] = value
      saved
    end
  end

  def self.restore_env(saved)
    saved.each { |key, value| value.nil? ? ENV.delete(key) : ENV[key] = value }
  end

  # Pushes out what puts and friends buffered (all of it now goes to
  # stderr), so it lands before the next protocol line.
  def self.flush_prints
    [$stdout, STDOUT, $stderr].each do |io|
      io.flush
    rescue IOError, SystemCallError
      nil
    end
  end

  # In worker mode stdout belongs to the protocol from the moment the SDK is
  # loaded: prints at start-up and between calls go to stderr too (logs of
  # the next call), never between two protocol lines.
  if ENV["ALYX_WORKER"] == "1"
    @worker_stdout = private_stdout
    STDOUT.sync = true
    [STDERR, STDOUT].each { |io| io.singleton_class.prepend(LineTracker) }
  end

  private_class_method :serve, :serve_one, :parse_request, :call_env, :set_env, :restore_env, :flush_prints
end
