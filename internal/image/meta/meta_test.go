package meta

import (
	"errors"
	"reflect"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

func TestRoles(t *testing.T) {
	h := func(s string) v1.Hash { return v1.Hash{Algorithm: "sha256", Hex: s} }
	cf := &v1.ConfigFile{
		RootFS: v1.RootFS{DiffIDs: []v1.Hash{h("a"), h("b"), h("c")}},
		History: []v1.History{
			{CreatedBy: "FROM debian"},
			{CreatedBy: "ENV X=1", EmptyLayer: true},
			{CreatedBy: CreatedBy(RoleFiles)},
			{CreatedBy: CreatedBy(RoleRelease)},
		},
	}
	if got := Roles(cf); !reflect.DeepEqual(got, []string{"base", "files", "release"}) {
		t.Errorf("roles %v", got)
	}
	// A history that does not match the layers says nothing.
	cf.History = cf.History[:2]
	if got := Roles(cf); !reflect.DeepEqual(got, []string{"base", "base", "base"}) {
		t.Errorf("mismatched history: %v", got)
	}
}

func TestReadReleaseOfAnotherImage(t *testing.T) {
	img, err := random.Image(100, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRelease(img); !errors.Is(err, ErrNoRelease) {
		t.Errorf("got %v", err)
	}
	b := &Base{Name: "docker.io/library/python", Tag: "3.12", Digest: "sha256:ab"}
	if b.Reference() != "docker.io/library/python:3.12@sha256:ab" {
		t.Error(b.Reference())
	}
}
