// Package alyx is the Alyx function SDK for Go (standard library only).
//
//	func main() {
//		alyx.Handle(func(in Input, ctx *alyx.Context) (Output, error) {
//			ctx.Log.Info("greeting", map[string]any{"name": in.Name})
//			return Output{Message: "Hello, " + in.Name + "!"}, nil
//		})
//	}
//
// Handle reads the request from stdin, decodes its input into In, calls the
// function, writes the response to stdout and exits: 0 on success, 1 on
// error. Return an *alyx.Error to fail with your own code; any other error,
// or a panic, fails with FUNCTION_ERROR.
//
// Under ALYX_WORKER=1 the same Handle serves one call per request line until
// stdin ends (the worker protocol of docs/PROTOCOL.md): globals persist
// between calls, and an error or panic fails only its own call.
package alyx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"
)

// FunctionError is the code of an error that is not an *Error, and of a panic.
const FunctionError = "FUNCTION_ERROR"

// Error fails the function with a code of the author's choosing.
type Error struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// NewError is a shorthand for &Error{Code: code, Message: message}.
func NewError(code, message string) *Error { return &Error{Code: code, Message: message} }

// Auth is context.auth: who the function runs for.
type Auth struct {
	ID       string         `json:"id"`
	Email    string         `json:"email,omitempty"`
	Role     string         `json:"role,omitempty"`
	Verified bool           `json:"verified,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// Context is what the runtime tells a function about its invocation.
type Context struct {
	RequestID     string
	FunctionName  string
	Auth          *Auth // nil when the call is anonymous
	Env           map[string]string
	AlyxURL       string
	InternalToken string
	DeadlineMs    int64 // epoch milliseconds after which the function is killed
	Log           Logger
}

// Deadline is DeadlineMs as a time.Time.
func (c *Context) Deadline() time.Time { return time.UnixMilli(c.DeadlineMs) }

type request struct {
	RequestID    string          `json:"request_id"`
	FunctionName string          `json:"function_name"`
	Function     string          `json:"function"`
	Input        json.RawMessage `json:"input"`
	Context      struct {
		Auth          authField         `json:"auth"`
		Env           map[string]string `json:"env"`
		AlyxURL       string            `json:"alyx_url"`
		InternalToken string            `json:"internal_token"`
		DeadlineMs    int64             `json:"deadline_ms"`
	} `json:"context"`
}

// authField is context.auth decoded, and as written (for ALYX_AUTH).
type authField struct {
	value *Auth
	raw   json.RawMessage
}

func (a *authField) UnmarshalJSON(text []byte) error {
	a.raw = append(a.raw[:0], text...)
	if string(text) == "null" {
		a.value = nil
		return nil
	}
	return json.Unmarshal(text, &a.value)
}

type response struct {
	Success   bool            `json:"success"`
	Output    any             `json:"output,omitempty"`
	Error     *Error          `json:"error,omitempty"`
	RequestID json.RawMessage `json:"request_id,omitempty"` // worker mode only
}

// Handle runs fn for the request on stdin, writes the response and exits.
func Handle[In, Out any](fn func(input In, ctx *Context) (Out, error)) {
	if workerStdout != nil {
		serve(fn, workerStdout)
		os.Exit(0)
	}
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		finish(os.Stdout, failure(&Error{Code: "INVALID_REQUEST", Message: "cannot read the request: " + err.Error()}))
	}
	if os.Getenv("ALYX_STANDBY") == "1" {
		// Started before its call: the per-call variables come from the request.
		setEnv(callEnv(&req))
	}
	// From here on fmt.Println and friends write to stderr (logs); only the
	// response reaches the real stdout.
	realStdout := privateStdout()
	finish(realStdout, run(fn, &req))
}

func run[In, Out any](fn func(In, *Context) (Out, error), req *request) (res response) {
	defer func() {
		if p := recover(); p != nil {
			logLine("error", "panic", map[string]any{"panic": fmt.Sprint(p), "stack": string(debug.Stack())})
			res = failure(&Error{Code: FunctionError, Message: fmt.Sprint(p), Details: map[string]any{"type": "panic"}})
		}
	}()
	var input In
	if len(req.Input) > 0 && string(req.Input) != "null" {
		if err := json.Unmarshal(req.Input, &input); err != nil {
			return failure(&Error{Code: "INVALID_INPUT", Message: "input does not match the function's type: " + err.Error()})
		}
	}
	name := req.FunctionName
	if name == "" {
		name = req.Function
	}
	ctx := &Context{
		RequestID: req.RequestID, FunctionName: name, Auth: req.Context.Auth.value, Env: req.Context.Env,
		AlyxURL: req.Context.AlyxURL, InternalToken: req.Context.InternalToken, DeadlineMs: req.Context.DeadlineMs,
	}
	if ctx.Env == nil {
		ctx.Env = map[string]string{}
	}
	out, err := fn(input, ctx)
	if err != nil {
		var typed *Error
		if errors.As(err, &typed) {
			return failure(typed)
		}
		return failure(&Error{Code: FunctionError, Message: err.Error(), Details: map[string]any{"type": fmt.Sprintf("%T", err)}})
	}
	return response{Success: true, Output: nullable(out)}
}

// nullable keeps "output" in the response even for a zero/nil value.
func nullable(v any) any {
	if v == nil {
		return json.RawMessage("null")
	}
	return v
}

func failure(e *Error) response { return response{Error: e} }

// marshal is the response as JSON text; an output that cannot be serialised
// turns it into a FUNCTION_ERROR failure.
func marshal(res response) (response, []byte) {
	text, err := json.Marshal(res)
	if err != nil {
		failed := failure(&Error{Code: FunctionError, Message: "output cannot be serialised to JSON: " + err.Error()})
		failed.RequestID = res.RequestID
		res = failed
		text, _ = json.Marshal(res)
	}
	return res, text
}

func finish(w io.Writer, res response) {
	res, text := marshal(res)
	w.Write(append(text, '\n'))
	if !res.Success {
		os.Exit(1)
	}
	os.Exit(0)
}
