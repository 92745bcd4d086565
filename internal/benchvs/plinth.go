package benchvs

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/backoff"
	"github.com/plinth-storage/plinth/internal/client"
)

// pollEvery is how often the benchmark polls an image or backup: short, so
// polling adds at most ~20 ms to a phase.
const pollEvery = 20 * time.Millisecond

// daemon is a plinth server started for the benchmark.
type daemon struct {
	*server
	api *client.Client
	url string
}

// startDaemon starts `plinth server` over dir/plinth-data on a free port and
// waits until its node has a schedulable v1 (filesystem) disk.
func startDaemon(ctx context.Context, bin, dir string) (*daemon, error) {
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		url := fmt.Sprintf("http://127.0.0.1:%d", port)
		srv, err := startServer("plinth", bin,
			[]string{"server", "--data-dir", filepath.Join(dir, "plinth-data"), "--listen", fmt.Sprintf("127.0.0.1:%d", port),
				"--node-id", "bench", "--insecure-allow-private-sources", "--log-level", "warn"},
			nil, filepath.Join(dir, "plinth.log"), httpAnswers(url+"/healthz"), 60*time.Second)
		if err != nil {
			lastErr = err
			continue
		}
		d := &daemon{server: srv, api: client.New(url, client.WithTimeout(time.Minute)), url: url}
		if err := d.waitV1Disk(ctx); err != nil {
			srv.stop()
			return nil, err
		}
		return d, nil
	}
	return nil, fmt.Errorf("plinth server did not start: %w", lastErr)
}

// waitV1Disk waits up to 60 s for a schedulable filesystem disk.
func (d *daemon) waitV1Disk(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	last := "no node yet"
	for time.Now().Before(deadline) {
		nodes, err := d.api.ListNodes(ctx)
		if err != nil {
			last = err.Error()
		}
		for _, n := range nodes {
			for name, disk := range n.Disks {
				c := disk.Conditions["Schedulable"]
				if disk.DiskType == "filesystem" && disk.AllowScheduling && c.Status == "True" {
					return nil
				}
				last = fmt.Sprintf("disk %s: type %s, schedulable %s (%s)", name, disk.DiskType, c.Status, c.Message)
			}
		}
		if err := backoff.Sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("plinth has no schedulable v1 (filesystem) disk after 60 s: %s\n%s", last, d.tail())
}

// phase runs fn and returns its wall time and the daemon's peak RSS during it.
func (d *daemon) phase(fn func() error) (Sample, error) {
	if err := resetPeakRSS(d.pid()); err != nil {
		return Sample{}, err
	}
	startRSS, err := currentRSS(d.pid())
	if err != nil {
		return Sample{}, err
	}
	cpu0, err := cpuSeconds(d.pid())
	if err != nil {
		return Sample{}, err
	}
	start := time.Now()
	if err := fn(); err != nil {
		return Sample{}, err
	}
	elapsed := time.Since(start)
	cpu1, err := cpuSeconds(d.pid())
	if err != nil {
		return Sample{}, err
	}
	rss, err := peakRSS(d.pid())
	return Sample{Seconds: elapsed.Seconds(), PeakRSS: rss, StartRSS: startRSS, CPUSeconds: cpu1 - cpu0}, err
}

// createByDownload creates image name from url (checked against sum) and
// waits until a copy is ready.
func (d *daemon) createByDownload(ctx context.Context, name, url, sum string) error {
	_, err := d.api.CreateBackingImage(ctx, apitypes.BackingImageCreateInput{
		Name: name, SourceType: "download", Parameters: map[string]string{"url": url},
		ExpectedChecksum: sum, DataEngine: "v1",
	})
	if err != nil {
		return fmt.Errorf("create image %s by download: %w", name, err)
	}
	return d.waitReady(ctx, name)
}

func (d *daemon) waitReady(ctx context.Context, name string) error {
	_, err := d.api.WaitBackingImage(ctx, name, client.BackingImageReady, client.Poll[*apitypes.BackingImage]{Interval: pollEvery})
	if err != nil {
		return fmt.Errorf("wait for image %s to be ready: %w\n%s", name, err, d.tail())
	}
	return nil
}

// backup backs image up to target and waits until the backup is Completed,
// returning the backup's name.
func (d *daemon) backup(ctx context.Context, image, target string) (string, error) {
	b, err := d.api.CreateBackup(ctx, image, apitypes.BackupBackingImageCreateInput{BackupTargetName: target})
	if err != nil {
		return "", fmt.Errorf("back up image %s to %s: %w", image, target, err)
	}
	_, err = d.api.WaitBackup(ctx, b.Name, client.BackupCompleted, client.Poll[*apitypes.BackupBackingImage]{Interval: pollEvery})
	if err != nil {
		return "", fmt.Errorf("wait for backup %s of %s: %w\n%s", b.Name, image, err, d.tail())
	}
	return b.Name, nil
}

// restore restores backup as image name (v1) and waits until it is ready.
func (d *daemon) restore(ctx context.Context, backup, name string) error {
	if _, err := d.api.RestoreBackup(ctx, backup, apitypes.BackingImageRestoreInput{Name: name, DataEngine: "v1"}); err != nil {
		return fmt.Errorf("restore backup %s as %s: %w", backup, name, err)
	}
	return d.waitReady(ctx, name)
}

// addTarget creates a secret with gw's credentials and an S3 target on a
// fresh bucket, and waits until the target is available.
func (d *daemon) addTarget(ctx context.Context, gw *s3Server, name string) error {
	bucket := "plinth-" + name
	if err := gw.newBucket(ctx, bucket); err != nil {
		return err
	}
	if _, err := d.api.CreateSecret(ctx, apitypes.SecretCreateInput{Name: name + "-creds", Data: gw.plinthSecret()}); err != nil {
		return fmt.Errorf("create secret for target %s: %w", name, err)
	}
	in := apitypes.BackupTargetInput{Name: name, BackupTargetURL: fmt.Sprintf("s3://%s@%s/", bucket, gw.region),
		CredentialSecret: name + "-creds", PollInterval: "0"}
	if _, err := d.api.CreateBackupTarget(ctx, in); err != nil {
		return fmt.Errorf("create S3 target %s: %w", name, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		t, err := d.api.GetBackupTarget(ctx, name)
		if err == nil && t.Available {
			return nil
		}
		if err := backoff.Sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("S3 target %s not available after 30 s\n%s", name, d.tail())
}

// checkRestored checks that image name's reported checksum is sum and that
// its downloaded bytes hash to sum.
func (d *daemon) checkRestored(ctx context.Context, name, sum string) error {
	bi, err := d.api.GetBackingImage(ctx, name)
	if err != nil {
		return fmt.Errorf("read restored image %s: %w", name, err)
	}
	if bi.CurrentChecksum != sum {
		return fmt.Errorf("plinth's restored image %s reports SHA-512 %s, want %s", name, bi.CurrentChecksum, sum)
	}
	h := sha512.New()
	if _, err := d.api.DownloadBackingImage(ctx, name, h, 0, nil); err != nil {
		return fmt.Errorf("download restored image %s: %w", name, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return fmt.Errorf("plinth's restored image %s downloads with SHA-512 %s, want %s", name, got, sum)
	}
	return nil
}

// cleanup deletes the run's images so their copies do not fill the disk,
// and waits until they are gone.
func (d *daemon) cleanup(ctx context.Context, names ...string) error {
	var errs []error
	for _, n := range names {
		if err := d.api.DeleteBackingImage(ctx, n); err != nil && !client.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete image %s: %w", n, err))
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, n := range names {
		for {
			_, err := d.api.GetBackingImage(ctx, n)
			if client.IsNotFound(err) {
				break
			}
			if time.Now().After(deadline) {
				errs = append(errs, fmt.Errorf("image %s still there 60 s after its deletion", n))
				break
			}
			if err := backoff.Sleep(ctx, 100*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return errors.Join(errs...)
}
