package gomod

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/testenv/goproxy"
)

func TestAdhocBuildLists(t *testing.T) {
	mods := os.Getenv("ADHOC")
	if mods == "" {
		t.Skip()
	}
	goBin := needGo(t)
	s := newSource(t, Env{GOPROXY: "https://proxy.golang.org"})
	env := append(goproxy.GoEnv(t, "https://proxy.golang.org"), "GOSUMDB=sum.golang.org")
	for _, mv := range strings.Fields(mods) {
		p, v, _ := strings.Cut(mv, "@")
		got, err := s.BuildList(ctx, p, v)
		if err != nil {
			t.Error(err)
			continue
		}
		data, _, _ := s.goMod(ctx, p, v)
		want := goListAll(t, goBin, env, string(data))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %d want %d\n%v\n%v", mv, len(got), len(want), got, want)
		} else {
			t.Logf("%s: %d modules OK", mv, len(got))
		}
	}
}
