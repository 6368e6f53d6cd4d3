// Command dockerfile-lint runs BuildKit's Dockerfile frontend on a Dockerfile without a
// Docker engine or a registry: its parser, its instruction checks and every lint rule
// that `docker build --check` applies (JSONArgsRecommended, UndefinedVar,
// FromAsCasing, ...). Base images are not fetched: any image reference resolves to an
// empty Linux image configuration, so rules that need the base image's real
// environment see only PATH.
//
// usage: dockerfile-lint [Dockerfile]   (exit 1 on any warning or error)
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	img := ocispecs.Image{
		Platform: ocispecs.Platform{OS: "linux", Architecture: runtime.GOARCH},
		Config:   ocispecs.ImageConfig{Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
		RootFS:   ocispecs.RootFS{Type: "layers"},
	}
	dt, err := json.Marshal(img)
	if err != nil {
		return "", "", nil, err
	}
	return ref, digest.FromBytes(dt), dt, nil
}

func main() {
	path := "Dockerfile"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	dt, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dockerfile-lint:", err)
		os.Exit(2)
	}
	sourceMap := llb.NewSourceMap(nil, path, "Dockerfile", dt)
	sourceMap.Definition = &llb.Definition{} // no build context: the Dockerfile alone
	opt := dockerfile2llb.ConvertOpt{
		MetaResolver: offlineResolver{},
		SourceMap:    sourceMap,
	}
	res, err := dockerfile2llb.DockerfileLint(context.Background(), dt, opt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dockerfile-lint:", err)
		os.Exit(2)
	}
	bad := false
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil && len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		fmt.Printf("%s:%d: warning: %s: %s\n", path, line, w.RuleName, w.Detail)
		bad = true
	}
	if res.Error != nil {
		fmt.Printf("%s: error: %s\n", path, res.Error.Message)
		bad = true
	}
	if bad {
		os.Exit(1)
	}
	fmt.Printf("%s: BuildKit parser and lint rules: no warning\n", path)
}
