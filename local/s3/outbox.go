package s3

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The outbox makes object-created events as durable as the writes they
// report. The child records an event that matches [Options].DurableEvents
// as one file, <Dir>/outbox/<sequencer>.json, and fsyncs the object, that
// file and the directory before the S3 API answers the write; the parent
// removes the file ([Server.Ack]) once the consumer has acted on the
// event. [Start] queues every file still there ahead of new events, so an
// event survives kill -9 of either process between the write and the
// consumer's action: it is delivered at least once, never lost.
const outboxDirName = "outbox"

// outbox writes and lists event records in one directory.
type outbox struct{ dir string }

// record writes ev durably. It returns after the file and the directory
// entry are on disk.
func (o outbox) record(ev Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	name := ev.Detail.Object.Sequencer + ".json"
	tmp, err := os.CreateTemp(o.dir, ".tmp-"+name+"-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(o.dir, name))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return syncDir(o.dir)
}

// pending returns the recorded events, oldest first, and removes
// leftovers of interrupted writes (their writes were never acknowledged).
func (o outbox) pending() ([]Event, error) {
	ents, err := os.ReadDir(o.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var evs []Event
	for _, e := range ents {
		path := filepath.Join(o.dir, e.Name())
		if strings.HasPrefix(e.Name(), ".tmp-") {
			os.Remove(path)
			continue
		}
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var ev Event
		if err := json.Unmarshal(b, &ev); err != nil {
			return nil, fmt.Errorf("local s3: outbox record %s: %w (remove the file if the object needs no event)", path, err)
		}
		evs = append(evs, ev)
	}
	// Sequencers are fixed-width hex: string order is write order.
	slices.SortFunc(evs, func(a, b Event) int { return strings.Compare(a.Detail.Object.Sequencer, b.Detail.Object.Sequencer) })
	return evs, nil
}

// remove deletes the record of ev; a missing record is not an error (the
// event may be acknowledged twice after a redelivery).
func (o outbox) remove(ev Event) error {
	seq := ev.Detail.Object.Sequencer
	if seq == "" || strings.ContainsAny(seq, `/\.`) {
		return nil
	}
	err := os.Remove(filepath.Join(o.dir, seq+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// syncFile fsyncs an existing file (an object the backend wrote).
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
