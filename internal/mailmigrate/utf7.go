package mailmigrate

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// IMAP4rev1 mailbox names travel in modified UTF-7 (RFC 3501 5.1.3):
// printable ASCII stands for itself ("&" is written "&-"), any other run
// of characters is UTF-16BE in base64 with "," for "/" and no padding,
// between "&" and "-".
var mutf7 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

func printableASCII(r rune) bool { return r >= 0x20 && r <= 0x7e }

// encodeMailbox turns a UTF-8 mailbox name into modified UTF-7.
func encodeMailbox(s string) string {
	var b strings.Builder
	var run []rune
	flush := func() {
		if len(run) == 0 {
			return
		}
		u := utf16.Encode(run)
		raw := make([]byte, 0, 2*len(u))
		for _, c := range u {
			raw = append(raw, byte(c>>8), byte(c))
		}
		b.WriteByte('&')
		b.WriteString(mutf7.EncodeToString(raw))
		b.WriteByte('-')
		run = run[:0]
	}
	for _, r := range s {
		switch {
		case r == '&':
			flush()
			b.WriteString("&-")
		case printableASCII(r):
			flush()
			b.WriteRune(r)
		default:
			run = append(run, r)
		}
	}
	flush()
	return b.String()
}

// decodeMailbox turns a modified UTF-7 mailbox name into UTF-8. It is
// strict: a name that is not valid modified UTF-7 is an error rather than
// a guess, because a wrong guess would create a second folder.
func decodeMailbox(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return "", fmt.Errorf("mailbox name %q has 8-bit bytes: not modified UTF-7", s)
		}
		if c != '&' {
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i+1:], '-')
		if end < 0 {
			return "", fmt.Errorf("mailbox name %q: unterminated &...- sequence", s)
		}
		enc := s[i+1 : i+1+end]
		i += end + 1
		if enc == "" {
			b.WriteByte('&')
			continue
		}
		raw, err := mutf7.DecodeString(enc)
		if err != nil || len(raw)%2 != 0 {
			return "", fmt.Errorf("mailbox name %q: bad base64 in &%s-", s, enc)
		}
		u := make([]uint16, len(raw)/2)
		for j := range u {
			u[j] = uint16(raw[2*j])<<8 | uint16(raw[2*j+1])
		}
		for _, r := range utf16.Decode(u) {
			if r == utf8.RuneError || printableASCII(r) {
				return "", fmt.Errorf("mailbox name %q: &%s- encodes an invalid or plain ASCII character", s, enc)
			}
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}
