package alyx

import (
	"encoding/json"
	"os"
	"time"
)

// Logger writes structured logs: one JSON line on stderr per call.
type Logger struct{}

func (Logger) Debug(message string, data ...map[string]any) { logLine("debug", message, first(data)) }
func (Logger) Info(message string, data ...map[string]any)  { logLine("info", message, first(data)) }
func (Logger) Warn(message string, data ...map[string]any)  { logLine("warn", message, first(data)) }
func (Logger) Error(message string, data ...map[string]any) { logLine("error", message, first(data)) }

func first(data []map[string]any) map[string]any {
	if len(data) == 0 {
		return nil
	}
	return data[0]
}

type logEntry struct {
	Level     string         `json:"level"`
	Message   string         `json:"message"`
	Data      map[string]any `json:"data,omitempty"`
	Timestamp string         `json:"timestamp"`
}

// stderr is fd 2 captured at start-up, so logs stay logs even if the
// function reassigns os.Stderr.
var stderr = os.Stderr

func logLine(level, message string, data map[string]any) {
	line, err := json.Marshal(logEntry{level, message, data, time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")})
	if err != nil {
		line, _ = json.Marshal(logEntry{level, message, map[string]any{"unserialisable": err.Error()}, time.Now().UTC().Format(time.RFC3339)})
	}
	stderr.Write(append(line, '\n'))
}
