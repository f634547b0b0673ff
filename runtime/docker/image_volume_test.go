package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"testing"

	"github.com/docker/docker/api/types/image"
)

func TestImportImageAndLabels(t *testing.T) {
	t.Parallel()
	rt := testRuntime(t)
	ctx := context.Background()
	ref := "wharf-test/import:" + uniqueName(t)
	t.Cleanup(func() {
		_, _ = rt.cli.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true})
	})
	if _, err := rt.ImageLabels(ctx, ref); !IsNotFound(err) {
		t.Fatalf("labels of a missing image: err %v, want not found", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "hello", Mode: 0o644, Size: 2}); err != nil {
		t.Fatal(err)
	}
	_, _ = tw.Write([]byte("hi"))
	_ = tw.Close()
	if err := rt.ImportImage(ctx, ref, &buf, []string{`LABEL wharf.test="1" made.by="import"`}); err != nil {
		t.Fatal(err)
	}
	labels, err := rt.ImageLabels(ctx, ref)
	if err != nil || labels["made.by"] != "import" {
		t.Errorf("labels %v, err %v", labels, err)
	}
}

func TestListVolumesAndExists(t *testing.T) {
	t.Parallel()
	rt := testRuntime(t)
	ctx := context.Background()
	name, mark := uniqueName(t), uniqueName(t)
	if ok, err := rt.VolumeExists(ctx, name); ok || err != nil {
		t.Fatalf("before creation: exists %v err %v", ok, err)
	}
	if err := rt.CreateVolume(ctx, VolumeSpec{Name: name, Labels: map[string]string{testLabel: "1", "wharf.test.mark": mark}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.RemoveVolume(context.Background(), name) })
	if ok, err := rt.VolumeExists(ctx, name); !ok || err != nil {
		t.Errorf("after creation: exists %v err %v", ok, err)
	}
	names, err := rt.ListVolumes(ctx, map[string]string{"wharf.test.mark": mark})
	if err != nil || len(names) != 1 || names[0] != name {
		t.Errorf("list %v err %v, want [%s]", names, err, name)
	}
}

func TestInspectReportsMAC(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	id := run(t, rt, ContainerSpec{Image: img.App, Command: []string{"-listen", ":8080"}})
	st := waitFor(t, rt, id, slow, "running", func(s ContainerState) bool { return s.Running })
	if st.Networks["bridge"] == "" || len(st.MACs["bridge"]) != len("02:42:ac:11:00:02") {
		t.Errorf("networks %v MACs %v", st.Networks, st.MACs)
	}
}
