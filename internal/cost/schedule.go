package cost

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"fullfrontend.be/infra/internal/planscan"
)

// Demand is CPU (millicores) and memory (bytes) requested of the nodes.
type Demand struct{ CPU, Memory int64 }

func (d Demand) plus(o Demand) Demand { return Demand{d.CPU + o.CPU, d.Memory + o.Memory} }

func (d Demand) times(n int) Demand { return Demand{d.CPU * int64(n), d.Memory * int64(n)} }

// Peak is the largest sum of scheduled jobs that may run in one hour of
// the week, on top of the pods that run all the time.
type Peak struct {
	Demand
	Hour string   // "Mon 03:00-04:00 UTC"
	Jobs []string // what runs in that hour
}

// job is a scheduled pod set: a CronJob, or what a controller launches on a
// schedule of its own (Velero's repository maintenance).
type job struct {
	name     string
	schedule string
	demand   Demand
}

// hourOfWeek buckets: a job counts in every hour in which it starts. Jobs
// of the same hour are taken to overlap, which is the safe reading when
// their run times are unknown (a dump, then its restore check).
const week = 7 * 24

// nightlyPeak returns the hour of the week whose jobs request the most
// memory (then CPU), with what runs in it.
func nightlyPeak(jobs []job) (Peak, error) {
	var buckets [week]Demand
	var names [week][]string
	// A Monday at 00:00 UTC: bucket 0.
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(week * time.Hour)
	for _, j := range jobs {
		s, err := cron.ParseStandard(j.schedule)
		if err != nil {
			return Peak{}, fmt.Errorf("%s: schedule %q: %w", j.name, j.schedule, err)
		}
		seen := map[int]bool{}
		for t := s.Next(start.Add(-time.Second)); t.Before(end); t = s.Next(t) {
			h := int(t.Sub(start) / time.Hour)
			if !seen[h] {
				seen[h] = true
				buckets[h] = buckets[h].plus(j.demand)
				names[h] = append(names[h], j.name)
			}
		}
	}
	best := 0
	for h := range buckets {
		b, m := buckets[h], buckets[best]
		if b.Memory > m.Memory || (b.Memory == m.Memory && b.CPU > m.CPU) {
			best = h
		}
	}
	at := start.Add(time.Duration(best) * time.Hour)
	sort.Strings(names[best])
	return Peak{Demand: buckets[best], Hour: at.Format("Mon 15:04") + "-" + at.Add(time.Hour).Format("15:04") + " UTC", Jobs: names[best]}, nil
}

// scheduledJobs are the workloads that run on a schedule, each replica a
// pod of its own (Velero's maintenance: one per repository).
func scheduledJobs(ws []planscan.Workload) []job {
	var out []job
	for _, w := range ws {
		if w.Schedule != "" {
			out = append(out, job{name: w.Object, schedule: w.Schedule, demand: Demand{w.CPU, w.Memory}.times(w.Replicas)})
		}
	}
	return out
}

func joinMax(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(" and %d more", len(s)-n)
}
