package bundle

import "testing"

func TestRedactURLs(t *testing.T) {
	in := "name: x\nindex: https://user:s3cret@host/simple\nb: 'git+ssh://tok@h.example:22/r'\nc: https://host/a@b\nd: https://host/simple\n"
	want := "name: x\nindex: https://host/simple\nb: 'git+ssh://h.example:22/r'\nc: https://host/a@b\nd: https://host/simple\n"
	if got := string(RedactURLs([]byte(in))); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
