package alyx

// Worker mode: the worker protocol of docs/PROTOCOL.md ("Worker protocol").

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strconv"
)

// workerStdout is the real stdout under ALYX_WORKER=1, taken before main
// runs: from then on stdout belongs to the protocol, and fmt.Println at
// start-up or between calls writes logs (of the next call) on stderr.
var workerStdout *os.File

func init() {
	if os.Getenv("ALYX_WORKER") == "1" {
		workerStdout = privateStdout()
	}
}

// serve is the worker loop: ready, then one call per request line until
// stdin ends.
func serve[In, Out any](fn func(In, *Context) (Out, error), out *os.File) {
	out.Write([]byte("{\"alyx\":\"ready\"}\n"))
	stdin := bufio.NewReaderSize(os.Stdin, 64<<10)
	for {
		line, err := stdin.ReadBytes('\n') // a request of any size
		if len(bytes.TrimSpace(line)) > 0 {
			serveOne(fn, line, out)
		}
		if err != nil {
			return // io.EOF: the runtime is done with this worker
		}
	}
}

func serveOne[In, Out any](fn func(In, *Context) (Out, error), line []byte, out *os.File) {
	var req request
	var res response
	requestID := json.RawMessage("null")
	if err := json.Unmarshal(line, &req); err != nil {
		res = failure(&Error{Code: "INVALID_REQUEST", Message: "cannot read the request: " + err.Error()})
	} else {
		requestID, _ = json.Marshal(req.RequestID)
		restore := setEnv(callEnv(&req))
		res = run(fn, &req)
		restore()
	}
	res.RequestID = requestID
	_, text := marshal(res)
	out.Write(append(text, '\n'))
	// After everything the call wrote to stderr: the runtime gives the lines
	// before this marker to this call.
	stderr.Write([]byte("{\"alyx\":\"end\",\"request_id\":" + string(requestID) + "}\n"))
}

type envVar struct{ key, value string }

// callEnv is what a one-shot process would have had in its env for this
// call: the call's context.env, then the four per-call ALYX_ variables.
func callEnv(req *request) []envVar {
	vars := make([]envVar, 0, len(req.Context.Env)+4)
	for key, value := range req.Context.Env {
		vars = append(vars, envVar{key, value})
	}
	auth := string(req.Context.Auth.raw)
	if auth == "" {
		auth = "null"
	}
	return append(vars,
		envVar{"ALYX_REQUEST_ID", req.RequestID},
		envVar{"ALYX_INTERNAL_TOKEN", req.Context.InternalToken},
		envVar{"ALYX_DEADLINE_MS", strconv.FormatInt(req.Context.DeadlineMs, 10)},
		envVar{"ALYX_AUTH", auth},
	)
}

// setEnv sets the variables and returns a function that puts back what was
// there before.
func setEnv(vars []envVar) (restore func()) {
	saved := make([]func(), 0, len(vars))
	for _, v := range vars {
		key := v.key
		if old, had := os.LookupEnv(key); had {
			saved = append(saved, func() { os.Setenv(key, old) })
		} else {
			saved = append(saved, func() { os.Unsetenv(key) })
		}
		os.Setenv(key, v.value)
	}
	return func() {
		for i := len(saved) - 1; i >= 0; i-- {
			saved[i]()
		}
	}
}
