package tour

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Shell is one bash process that runs commands in turn, as a user types
// them into one terminal: cd, variables and functions carry over from one
// command to the next.
type Shell struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	replies chan string
	scratch string
	done    chan struct{}
	close   sync.Once
}

// exitMark starts the line bash prints after each command.
const exitMark = "tour-exit:"

// StartShell starts bash (without profile or rc files) in dir with exactly
// the environment env. scratch is a private directory where the commands
// and their outputs pass through files.
func StartShell(dir, scratch string, env []string) (*Shell, error) {
	cmd := exec.Command("bash", "--noprofile", "--norc")
	cmd.Dir = dir
	cmd.Env = env
	// Its own process group, so that a command that hangs can be killed
	// with everything it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Shell{cmd: cmd, stdin: stdin, replies: make(chan string, 1), scratch: scratch, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), exitMark); ok {
				s.replies <- rest
			}
		}
	}()
	return s, nil
}

// ErrTimeout is returned by Run for a command that did not finish in time;
// the shell is then killed.
var ErrTimeout = errors.New("timed out")

// Run runs command (shell text, several lines allowed) and returns what it
// printed on stdout and stderr, interleaved as written, and its exit code.
// Its stdin is /dev/null. After timeout the shell and everything it started
// are killed and Run returns ErrTimeout; so does every later Run.
func (s *Shell) Run(command string, timeout time.Duration) (output string, exit int, err error) {
	cmdFile := filepath.Join(s.scratch, "command")
	outFile := filepath.Join(s.scratch, "output")
	if err := os.WriteFile(cmdFile, []byte(command+"\n"), 0o600); err != nil {
		return "", 0, err
	}
	// eval in the shell itself (not a subshell), so that cd and variables
	// stay; one file for both streams keeps their order.
	line := fmt.Sprintf("eval \"$(cat %s)\" >%s 2>&1 </dev/null; echo \"%s$?\"\n", shellQuote(cmdFile), shellQuote(outFile), exitMark)
	if _, err := io.WriteString(s.stdin, line); err != nil {
		return "", 0, fmt.Errorf("the shell is gone: %w", err)
	}
	select {
	case reply := <-s.replies:
		exit, err = strconv.Atoi(reply)
		if err != nil {
			return "", 0, fmt.Errorf("bad exit line %q", reply)
		}
	case <-s.done:
		return "", 0, errors.New("the shell exited (a command ran exit?)")
	case <-time.After(timeout):
		s.Close()
		return "", 0, ErrTimeout
	}
	data, err := os.ReadFile(outFile)
	return string(data), exit, err
}

// Close ends the shell and every process it started.
func (s *Shell) Close() {
	s.close.Do(func() {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		s.stdin.Close()
		// Drain what is left, so that the reader ends before Wait closes
		// the pipe.
		for {
			select {
			case <-s.replies:
				continue
			case <-s.done:
			}
			break
		}
		_ = s.cmd.Wait()
	})
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
