package mailmigrate

import (
	"context"
	"fmt"
)

// Messages travel in batches: one FETCH on the source and one APPEND
// (MULTIAPPEND) on the target per batch, which saves round trips and
// lets the target store a batch in one transaction; the limits bound
// memory and what a failed batch costs.
const (
	batchMessages = 100
	batchBytes    = 16 << 20
)

// fetchedBatch is one batch read from the source, in UID order.
type fetchedBatch struct {
	msgs   []msgInfo
	bodies map[uint32][]byte // by source UID; absent: expunged meanwhile
}

// copyMessages copies todo from the selected source folder to p.Target.
// The source connection fetches the next batch while the target stores
// the current one (a producer and a consumer, one connection each); at
// most three batches are in memory. Messages are journaled and counted
// only once the target has confirmed them.
func (r *accountRun) copyMessages(ctx context.Context, p folderPlan, uv uint32, todo []msgInfo, fr *FolderReport, vanished map[uint32]bool) error {
	fetchCtx, stopFetch := context.WithCancel(ctx)
	defer stopFetch()
	batches := make(chan fetchedBatch, 1)
	fetchErr := make(chan error, 1)
	go func() {
		defer close(batches)
		fetchErr <- r.fetchBatches(fetchCtx, todo, batches)
	}()
	var err error
	for b := range batches {
		if err = r.storeBatch(ctx, p, uv, b, fr, vanished); err != nil {
			break
		}
	}
	// On an error, stop the producer and wait for it: the source
	// connection is not to be used by two goroutines.
	stopFetch()
	for range batches {
	}
	if ferr := <-fetchErr; err == nil && ferr != nil {
		err = fmt.Errorf("fetch messages from the source: %w", ferr)
	}
	return err
}

// fetchBatches reads the bodies of todo batch by batch and sends each
// batch on out.
func (r *accountRun) fetchBatches(ctx context.Context, todo []msgInfo, out chan<- fetchedBatch) error {
	for len(todo) > 0 {
		n, size := 0, int64(0)
		for n < len(todo) && n < batchMessages && (n == 0 || size+todo[n].Size <= batchBytes) {
			size += todo[n].Size
			n++
		}
		b := fetchedBatch{msgs: todo[:n], bodies: map[uint32][]byte{}}
		todo = todo[n:]
		uids := make([]uint32, len(b.msgs))
		for i, m := range b.msgs {
			uids[i] = m.UID
		}
		if err := r.src.fetchBodies(ctx, uids, func(uid uint32, body []byte) error {
			b.bodies[uid] = body
			return nil
		}); err != nil {
			return err
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// storeBatch appends one batch to the target, then journals and counts
// each message. A run cancelled meanwhile still journals what the target
// confirmed, so that the journal and the counts say what is there.
func (r *accountRun) storeBatch(ctx context.Context, p folderPlan, uv uint32, b fetchedBatch, fr *FolderReport, vanished map[uint32]bool) error {
	var msgs []msgInfo
	var items []appendItem
	for _, m := range b.msgs {
		body, ok := b.bodies[m.UID]
		if !ok {
			vanished[m.UID] = true
			continue
		}
		if int64(len(body)) != m.Size {
			return fmt.Errorf("source message UID %d: RFC822.SIZE says %d bytes, the server sent %d: not copied (the copy could not be verified)", m.UID, m.Size, len(body))
		}
		msgs = append(msgs, m)
		items = append(items, appendItem{flags: m.Flags, date: m.Date, body: body})
	}
	if len(msgs) == 0 {
		return ctx.Err()
	}
	before := fr.Copied
	var err error
	switch {
	case r.dst.has("MULTIAPPEND"):
		err = r.storeMessages(ctx, p, uv, msgs, items, fr)
	case r.dst.has("LITERAL+"):
		err = r.dst.appendEach(ctx, p.Target, items, func(i int, tuv, tuid uint32) error {
			return r.confirmed(p, uv, msgs[i], tuv, tuid, fr)
		})
		if err != nil {
			err = fmt.Errorf("store %d messages (source UIDs %d to %d) on the target: %w", len(msgs), msgs[0].UID, msgs[len(msgs)-1].UID, err)
		}
	default:
		for i := range items {
			if err = r.storeMessages(ctx, p, uv, msgs[i:i+1], items[i:i+1], fr); err != nil {
				break
			}
		}
	}
	if err != nil {
		return err
	}
	if fr.Copied/1000 > before/1000 {
		fmt.Fprintf(r.o.Out, "%s: %q: %d copied so far\n", r.a.Address, p.Source, fr.Copied)
	}
	return ctx.Err()
}

// storeMessages appends msgs with one command and journals each message
// once the target has confirmed the command.
func (r *accountRun) storeMessages(ctx context.Context, p folderPlan, uv uint32, msgs []msgInfo, items []appendItem, fr *FolderReport) error {
	tuv, tuids, err := r.dst.appendMessages(ctx, p.Target, items)
	if err != nil {
		if len(msgs) == 1 {
			return fmt.Errorf("store message UID %d (%d bytes) on the target: %w", msgs[0].UID, msgs[0].Size, err)
		}
		return fmt.Errorf("store %d messages (source UIDs %d to %d) on the target: %w", len(msgs), msgs[0].UID, msgs[len(msgs)-1].UID, err)
	}
	for i, m := range msgs {
		var tuid uint32
		if tuids != nil {
			tuid = tuids[i]
		}
		if err := r.confirmed(p, uv, m, tuv, tuid, fr); err != nil {
			return err
		}
	}
	return nil
}

// confirmed journals and counts one message the target has confirmed
// (tuid 0: the target did not say its UID).
func (r *accountRun) confirmed(p folderPlan, uv uint32, m msgInfo, tuv, tuid uint32, fr *FolderReport) error {
	if err := r.j.Put(record{Folder: p.Source, UIDValidity: uv, UID: m.UID, TargetFolder: p.Target,
		TargetUV: tuv, TargetUID: tuid, MessageID: m.MessageID, Date: m.Date.Unix(), Size: m.Size, Flags: m.Flags}); err != nil {
		return err
	}
	fr.Copied++
	if r.o.Copied != nil {
		r.o.Copied(r.a.Address, p.Source)
	}
	return nil
}
