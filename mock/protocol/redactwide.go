package protocol

import (
	"strings"
	"unicode/utf16"
)

// wideEncoding is a UTF-16 or UTF-32 encoding, as json.detect_encoding finds it.
type wideEncoding struct {
	unit      int // 2 or 4 bytes
	bigEndian bool
	bom       int // bytes of byte order mark
}

// detectWide finds a UTF-16 or UTF-32 encoding from the first bytes, as Python's
// json.detect_encoding does; ok is false for anything else.
func detectWide(b string) (wideEncoding, bool) {
	switch {
	case strings.HasPrefix(b, "\x00\x00\xfe\xff"):
		return wideEncoding{4, true, 4}, true
	case strings.HasPrefix(b, "\xff\xfe\x00\x00"):
		return wideEncoding{4, false, 4}, true
	case strings.HasPrefix(b, "\xfe\xff"):
		return wideEncoding{2, true, 2}, true
	case strings.HasPrefix(b, "\xff\xfe"):
		return wideEncoding{2, false, 2}, true
	case len(b) >= 4 && b[0] == 0:
		if b[1] != 0 {
			return wideEncoding{2, true, 0}, true
		}
		return wideEncoding{4, true, 0}, true
	case len(b) >= 4 && b[1] == 0:
		if b[2] != 0 || b[3] != 0 {
			return wideEncoding{2, false, 0}, true
		}
		return wideEncoding{4, false, 0}, true
	}
	return wideEncoding{}, false
}

// redactWide redacts a UTF-16 or UTF-32 body in its own encoding; ok is false when
// the body is in neither.
func redactWide(body string) (string, bool) {
	enc, ok := detectWide(body)
	if !ok {
		return "", false
	}
	units := body[enc.bom:]
	tail := len(units) % enc.unit // a body cut short keeps its last bytes as they were
	units, rest := units[:len(units)-tail], units[len(units)-tail:]
	var text strings.Builder
	var u16 []uint16
	for i := 0; i < len(units); i += enc.unit {
		var r uint32
		for k := 0; k < enc.unit; k++ {
			bt := uint32(units[i+k])
			if enc.bigEndian {
				r = r<<8 | bt
			} else {
				r |= bt << (8 * k)
			}
		}
		if enc.unit == 4 {
			text.WriteRune(rune(r))
			continue
		}
		u16 = append(u16, uint16(r))
	}
	if enc.unit == 2 {
		text.WriteString(string(utf16.Decode(u16)))
	}
	decoded := text.String()
	if !MayHoldSecret(decoded) {
		return body, true
	}
	red := redact(decoded, 0)
	if red == decoded {
		return body, true
	}
	var out []byte
	out = append(out, body[:enc.bom]...)
	put := func(u uint32) {
		for k := 0; k < enc.unit; k++ {
			shift := 8 * k
			if enc.bigEndian {
				shift = 8 * (enc.unit - 1 - k)
			}
			out = append(out, byte(u>>shift))
		}
	}
	for _, r := range red {
		if enc.unit == 4 {
			put(uint32(r))
			continue
		}
		for _, u := range utf16.AppendRune(nil, r) {
			put(uint32(u))
		}
	}
	return string(append(out, rest...)), true
}
