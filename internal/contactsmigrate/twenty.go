package contactsmigrate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Twenty is the target: its REST API with an API key (Settings > APIs &
// Webhooks).
type Twenty struct {
	URL    string // Twenty's root, e.g. https://crm.fullfrontend.be
	APIKey string
}

// twentyPageMax is the most records Twenty returns per page
// (QUERY_MAX_RECORDS); a larger limit is lowered to it.
const twentyPageMax = 200

// twentyPerson is a person as Twenty returns it (depth=0), with the fields
// the matching reads.
type twentyPerson struct {
	ID   string `json:"id"`
	Name struct {
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
	} `json:"name"`
	Emails struct {
		PrimaryEmail     string   `json:"primaryEmail"`
		AdditionalEmails []string `json:"additionalEmails"`
	} `json:"emails"`
	Phones struct {
		PrimaryPhoneNumber      string          `json:"primaryPhoneNumber"`
		PrimaryPhoneCountryCode string          `json:"primaryPhoneCountryCode"`
		PrimaryPhoneCallingCode string          `json:"primaryPhoneCallingCode"`
		AdditionalPhones        json.RawMessage `json:"additionalPhones"`
	} `json:"phones"`
}

// phoneKeys are the keys of every number of the person.
func (p twentyPerson) phoneKeys() []string {
	var keys []string
	if p.Phones.PrimaryPhoneNumber != "" {
		keys = append(keys, phoneKey(p.Phones.PrimaryPhoneCallingCode+p.Phones.PrimaryPhoneNumber))
	}
	var extra []struct {
		Number      string `json:"number"`
		CallingCode string `json:"callingCode"`
	}
	// additionalPhones is a list, or null; older versions sent it as a
	// JSON string holding the list.
	raw := p.Phones.AdditionalPhones
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	if json.Unmarshal(raw, &extra) == nil {
		for _, e := range extra {
			if e.Number != "" {
				keys = append(keys, phoneKey(e.CallingCode+e.Number))
			}
		}
	}
	return keys
}

type twentyCompany struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// personInput is the body of a person to create, in Twenty's composite
// field shapes.
type personInput struct {
	Name      fullName     `json:"name"`
	Emails    *emailsInput `json:"emails,omitempty"`
	Phones    *phonesInput `json:"phones,omitempty"`
	City      string       `json:"city,omitempty"`
	JobTitle  string       `json:"jobTitle,omitempty"`
	CompanyID string       `json:"companyId,omitempty"`
}

type fullName struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

type emailsInput struct {
	PrimaryEmail string `json:"primaryEmail"`
}

type phonesInput struct {
	PrimaryPhoneNumber      string            `json:"primaryPhoneNumber"`
	PrimaryPhoneCountryCode string            `json:"primaryPhoneCountryCode,omitempty"`
	AdditionalPhones        []additionalPhone `json:"additionalPhones,omitempty"`
}

type additionalPhone struct {
	Number      string `json:"number"`
	CountryCode string `json:"countryCode,omitempty"`
}

// APIError is an answer of Twenty other than success.
type APIError struct {
	Method, Path string
	Status       int
	Messages     []string
}

func (e *APIError) Error() string {
	msg := strings.Join(e.Messages, "; ")
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("Twenty: %s %s: HTTP %d: %s", e.Method, e.Path, e.Status, msg)
}

type twentyClient struct {
	base  *url.URL
	key   string
	hc    *http.Client
	wait  time.Duration // first pause after a 429; doubled each time
	tries int
}

func newTwentyClient(t Twenty, hc *http.Client, wait time.Duration) (*twentyClient, error) {
	u, err := url.Parse(strings.TrimSuffix(t.URL, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("Twenty URL %q: want https://crm.<root_domain>", t.URL)
	}
	if wait <= 0 {
		wait = 2 * time.Second
	}
	return &twentyClient{base: u, key: t.APIKey, hc: hc, wait: wait, tries: 6}, nil
}

// do sends one request and decodes a 2xx answer into out. A 429 (Twenty's
// rate limit) is retried after Retry-After or a growing pause: the server
// did nothing. Other failures are not retried here: a POST may have been
// committed before its answer was lost, and the next run finds those
// records by e-mail.
func (c *twentyClient) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	wait := c.wait
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+c.key)
		req.Header.Set("Accept", "application/json")
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			return fmt.Errorf("Twenty: %s %s: %w", method, path, err)
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("Twenty: %s %s: read the answer: %w", method, path, err)
		}
		if resp.StatusCode == http.StatusTooManyRequests && attempt < c.tries {
			d := wait
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
				d = time.Duration(s) * time.Second
			}
			wait *= 2
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
			continue
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			e := &APIError{Method: method, Path: path, Status: resp.StatusCode}
			var eb struct {
				Messages []string `json:"messages"`
				Message  any      `json:"message"`
			}
			if json.Unmarshal(raw, &eb) == nil {
				e.Messages = eb.Messages
				if s, ok := eb.Message.(string); ok && len(e.Messages) == 0 {
					e.Messages = []string{s}
				}
			}
			if len(e.Messages) == 0 && len(raw) > 0 && len(raw) < 300 {
				e.Messages = []string{strings.TrimSpace(string(raw))}
			}
			if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
				return fmt.Errorf("%w (is TWENTY_API_KEY an API key of this workspace, with a role that may read and create people and companies?)", e)
			}
			return e
		}
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("Twenty: %s %s: the answer is not the JSON expected (%v): is --twenty-url Twenty's root?", method, path, err)
		}
		return nil
	}
}

// listAll reads every record of an object (people, companies), page by
// page with the cursor; deleted lists the trash (soft-deleted records)
// instead of the live ones.
func listAll[T any](ctx context.Context, c *twentyClient, object string, deleted bool) ([]T, error) {
	var all []T
	cursor := ""
	for {
		q := url.Values{}
		q.Set("limit", strconv.Itoa(twentyPageMax))
		q.Set("depth", "0")
		if deleted {
			q.Set("filter", "deletedAt[is]:NOT_NULL")
		}
		if cursor != "" {
			q.Set("starting_after", cursor)
		}
		var page struct {
			Data     map[string][]T `json:"data"`
			PageInfo struct {
				HasNextPage bool   `json:"hasNextPage"`
				EndCursor   string `json:"endCursor"`
			} `json:"pageInfo"`
			TotalCount *int `json:"totalCount"`
		}
		if err := c.do(ctx, http.MethodGet, "/rest/"+object, q, nil, &page); err != nil {
			return nil, err
		}
		recs, ok := page.Data[object]
		if !ok {
			return nil, fmt.Errorf("Twenty: GET /rest/%s: no data.%s in the answer", object, object)
		}
		all = append(all, recs...)
		if !page.PageInfo.HasNextPage {
			if page.TotalCount != nil && *page.TotalCount != len(all) {
				return nil, fmt.Errorf("Twenty: GET /rest/%s listed %d records but counts %d: records changed during the read; run again", object, len(all), *page.TotalCount)
			}
			return all, nil
		}
		if page.PageInfo.EndCursor == "" || page.PageInfo.EndCursor == cursor || len(recs) == 0 {
			return nil, fmt.Errorf("Twenty: GET /rest/%s: a next page without a new cursor", object)
		}
		cursor = page.PageInfo.EndCursor
	}
}

// createMany creates records in one request (POST /rest/batch/<object>):
// all or none. Twenty answers data.create<Object> (its documentation) or
// data.<object> (some versions): the one list in data is taken.
func createMany[T any](ctx context.Context, c *twentyClient, object string, in any, n int) ([]T, error) {
	var resp struct {
		Data map[string][]T `json:"data"`
	}
	if err := c.do(ctx, http.MethodPost, "/rest/batch/"+object, nil, in, &resp); err != nil {
		return nil, err
	}
	if len(resp.Data) != 1 {
		return nil, fmt.Errorf("Twenty: POST /rest/batch/%s: expected one list of created records in data, got %d", object, len(resp.Data))
	}
	var recs []T
	for _, r := range resp.Data {
		recs = r
	}
	if len(recs) != n {
		return nil, fmt.Errorf("Twenty: POST /rest/batch/%s: sent %d records, %d created", object, n, len(recs))
	}
	return recs, nil
}

// createOne creates one record (POST /rest/<object>), to find which
// record of a refused batch Twenty refuses.
func createOne(ctx context.Context, c *twentyClient, object string, in any) error {
	var resp struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	if err := c.do(ctx, http.MethodPost, "/rest/"+object, nil, in, &resp); err != nil {
		return err
	}
	if len(resp.Data) != 1 {
		return fmt.Errorf("Twenty: POST /rest/%s: expected the created record in data", object)
	}
	return nil
}
