//go:build unix && !linux

package alyx

import "syscall"

func redirectFd(from, to int) error { return syscall.Dup2(from, to) }
