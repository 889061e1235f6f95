package main

import (
	"strings"
	"testing"
)

func TestMigrateDAVEndpoints(t *testing.T) {
	ok := migrateDAVOptions{box: "box.fullfrontend.be", sourceUser: "alice@fullfrontend.be", cloud: "cloud.fullfrontend.be", targetUser: "alice"}
	src, dst, err := ok.endpoints("src-pw", "dst-pw")
	if err != nil {
		t.Fatal(err)
	}
	if src.URL != "https://box.fullfrontend.be/cloud/remote.php/dav/" || dst.URL != "https://cloud.fullfrontend.be/remote.php/dav/" || src.User != "alice@fullfrontend.be" || dst.Password != "dst-pw" {
		t.Errorf("endpoints: %+v %+v", src, dst)
	}
	tests := []struct {
		name         string
		edit         func(*migrateDAVOptions)
		srcPw, dstPw string
		want         string
	}{
		{"no box", func(o *migrateDAVOptions) { o.box = "" }, "a", "b", "give --box"},
		{"URL as box", func(o *migrateDAVOptions) { o.box = "https://box.example" }, "a", "b", "give --box"},
		{"bad cloud", func(o *migrateDAVOptions) { o.cloud = "cloud.example/x" }, "a", "b", "is not a host name"},
		{"no target user", func(o *migrateDAVOptions) { o.targetUser = "" }, "a", "b", "--target-user"},
		{"no password", func(*migrateDAVOptions) {}, "a", "", "DAV_TARGET_PASSWORD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			if _, _, err := o.endpoints(tt.srcPw, tt.dstPw); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("want an error with %q, got %v", tt.want, err)
			}
		})
	}
}
