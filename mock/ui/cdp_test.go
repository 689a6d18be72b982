package ui_test

// A minimal Chrome DevTools Protocol client over a WebSocket written with the standard
// library: enough to drive Debian's chromium from a test without a module dependency
// (chromedp would bring cdproto's 300k lines for the five commands used here).

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// chromiumEnv names a browser binary to use instead of looking one up.
const chromiumEnv = "VERBEX_MOCK_CHROMIUM"

// requireEnv, set by .ci/checks/50-ui.sh after installing chromium, turns the skip
// for a missing browser into a failure.
const requireEnv = "VERBEX_MOCK_UI_REQUIRE_BROWSER"

func findChromium() string {
	if p := os.Getenv(chromiumEnv); p != "" {
		return p
	}
	// Debian's /usr/bin/chromium is a shell launcher whose /etc/chromium.d snippets
	// break on some hosts (a /dev/shm mounted twice makes one of them a shell syntax
	// error); the binary it ends by running needs none of what they add.
	if p := "/usr/lib/chromium/chromium"; isExecutable(p) {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// startupWait bounds a cold start: the first start on a fresh machine builds the font
// cache while `go test ./...` keeps both cores busy, which has taken over 20s in CI.
const startupWait = 90 * time.Second

// browser is one headless Chromium with one page target.
type browser struct {
	cmd    *exec.Cmd
	dir    string        // the profile, removed once the browser has exited
	exited chan struct{} // closed when the process has been waited for
	conn   *wsConn
	out    strings.Builder // the browser's stderr, for failure messages

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan cdpReply
	events  func(method string, params json.RawMessage)
	done    chan struct{}
	err     error
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// startBrowser starts Chromium headless on a free DevTools port and attaches to its
// first page. It returns an error the caller turns into a skip or a failure.
func startBrowser(bin string, width, height int) (*browser, error) {
	dir, err := os.MkdirTemp("", "verbex-mock-ui-chromium-")
	if err != nil {
		return nil, err
	}
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--user-data-dir=" + dir,
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
		"--disable-background-networking", "--disable-component-update", "--disable-default-apps",
		"--disable-domain-reliability", "--disable-client-side-phishing-detection", "--no-pings",
		"--hide-scrollbars", "--mute-audio", "--force-device-scale-factor=1",
		fmt.Sprintf("--window-size=%d,%d", width, height), "about:blank",
	}
	b := &browser{dir: dir, exited: make(chan struct{}), pending: map[int64]chan cdpReply{}, done: make(chan struct{})}
	b.cmd = exec.Command(bin, args...)
	b.cmd.Stderr = &syncWriter{w: &b.out}
	// Its own process group, so that closing it also ends the renderers it forked.
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := b.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { _ = b.cmd.Wait(); close(b.exited) }()

	// Chromium writes its port to DevToolsActivePort once it listens.
	var port string
	deadline := time.Now().Add(startupWait)
	for port == "" {
		if data, err := os.ReadFile(filepath.Join(dir, "DevToolsActivePort")); err == nil {
			if p, _, ok := strings.Cut(string(data), "\n"); ok && p != "" {
				port = p
				break
			}
		}
		select {
		case <-b.exited:
			os.RemoveAll(dir)
			return nil, fmt.Errorf("chromium exited before opening its DevTools port (%v); stderr:\n%s", b.cmd.ProcessState, b.stderr())
		default:
		}
		if time.Now().After(deadline) {
			b.kill()
			return nil, fmt.Errorf("chromium did not open its DevTools port within %v; stderr:\n%s", startupWait, b.stderr())
		}
		time.Sleep(20 * time.Millisecond) // polling a file chromium writes: no event to wait on
	}
	var targets []struct {
		Type string `json:"type"`
		URL  string `json:"webSocketDebuggerUrl"`
	}
	for {
		res, err := http.Get("http://127.0.0.1:" + port + "/json/list")
		if err == nil {
			err = json.NewDecoder(res.Body).Decode(&targets)
			res.Body.Close()
		}
		if err == nil {
			for _, t := range targets {
				if t.Type == "page" {
					conn, err := dialWS(t.URL)
					if err != nil {
						b.kill()
						return nil, err
					}
					b.conn = conn
					go b.read()
					return b, nil
				}
			}
		}
		if time.Now().After(deadline) {
			b.kill()
			return nil, fmt.Errorf("no page target in chromium (%v); stderr:\n%s", err, b.stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (b *browser) stderr() string {
	w := b.cmd.Stderr.(*syncWriter)
	w.mu.Lock()
	defer w.mu.Unlock()
	return b.out.String()
}

// kill ends the browser's process group and removes its profile.
func (b *browser) kill() {
	if b.cmd.Process != nil {
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-b.exited:
		case <-time.After(5 * time.Second):
		}
	}
	os.RemoveAll(b.dir)
}

// close asks the browser to quit, then ends its process group whatever it did.
func (b *browser) close() {
	if b.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _ = b.call(ctx, "Browser.close", nil)
		cancel()
		b.conn.close()
	}
	b.kill()
}

func (b *browser) read() {
	defer close(b.done)
	for {
		msg, err := b.conn.readMessage()
		if err != nil {
			b.mu.Lock()
			b.err = err
			b.mu.Unlock()
			return
		}
		var m struct {
			ID     int64           `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			cdpReply
		}
		if json.Unmarshal(msg, &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch := b.pending[m.ID]; ch != nil {
				delete(b.pending, m.ID)
				ch <- m.cdpReply
			}
		} else if b.events != nil {
			b.events(m.Method, m.Params)
		}
		b.mu.Unlock()
	}
}

func (b *browser) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpReply, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	if err := b.conn.writeText(msg); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return nil, fmt.Errorf("%s: %s (%d)", method, r.Error.Message, r.Error.Code)
		}
		return r.Result, nil
	case <-b.done:
		return nil, fmt.Errorf("%s: the browser went away: %v", method, b.err)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// eval runs a JavaScript expression in the page (awaiting a promise) and decodes its
// value into out.
func (b *browser) eval(ctx context.Context, expr string, out any) error {
	res, err := b.call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "awaitPromise": true, "returnByValue": true})
	if err != nil {
		return err
	}
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return err
	}
	if r.Exception != nil {
		return fmt.Errorf("javascript: %s %s", r.Exception.Text, r.Exception.Exception.Description)
	}
	if out == nil || r.Result.Value == nil {
		return nil
	}
	return json.Unmarshal(r.Result.Value, out)
}

// ---- WebSocket client (RFC 6455), text messages only ----

type wsConn struct {
	c  net.Conn
	br *bufio.Reader
	wm sync.Mutex
}

func dialWS(rawURL string) (*wsConn, error) {
	rest, ok := strings.CutPrefix(rawURL, "ws://")
	if !ok {
		return nil, fmt.Errorf("websocket: unsupported URL %q", rawURL)
	}
	host, path, _ := strings.Cut(rest, "/")
	c, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		return nil, err
	}
	var k [16]byte
	_, _ = rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	req := "GET /" + path + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(c, 64<<10)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, fmt.Errorf("websocket: handshake answered %s", res.Status)
	}
	return &wsConn{c: c, br: br}, nil
}

func (w *wsConn) close() { _ = w.c.Close() }

// writeText sends one masked text frame, as a client must.
func (w *wsConn) writeText(p []byte) error { return w.writeFrame(0x1, p) }

func (w *wsConn) writeFrame(op byte, p []byte) error {
	w.wm.Lock()
	defer w.wm.Unlock()
	hdr := []byte{0x80 | op}
	switch n := len(p); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n <= 0xffff:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	hdr = append(hdr, mask[:]...)
	buf := make([]byte, len(hdr)+len(p))
	copy(buf, hdr)
	for i, c := range p {
		buf[len(hdr)+i] = c ^ mask[i%4]
	}
	_, err := w.c.Write(buf)
	return err
}

// readMessage returns the next whole text or binary message, answering pings.
func (w *wsConn) readMessage() ([]byte, error) {
	var msg []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(w.br, h[:]); err != nil {
			return nil, err
		}
		fin, op := h[0]&0x80 != 0, h[0]&0x0f
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var e [2]byte
			if _, err := io.ReadFull(w.br, e[:]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(e[:]))
		case 127:
			var e [8]byte
			if _, err := io.ReadFull(w.br, e[:]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(e[:])
		}
		if n > 256<<20 {
			return nil, errors.New("websocket: frame too large")
		}
		var mask []byte
		if h[1]&0x80 != 0 { // servers do not mask, but a masked frame is still readable
			mask = make([]byte, 4)
			if _, err := io.ReadFull(w.br, mask); err != nil {
				return nil, err
			}
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(w.br, p); err != nil {
			return nil, err
		}
		if mask != nil {
			for i := range p {
				p[i] ^= mask[i%4]
			}
		}
		switch op {
		case 0x8:
			return nil, io.EOF
		case 0x9:
			if err := w.writeFrame(0xA, p); err != nil {
				return nil, err
			}
			continue
		case 0xA:
			continue
		}
		msg = append(msg, p...)
		if fin {
			return msg, nil
		}
	}
}
