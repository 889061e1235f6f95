package wpmigrate

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	dump := "-- MariaDB dump\n" +
		"/*!40101 SET NAMES utf8mb4 */;\n" +
		"# a hash comment\n" +
		"CREATE TABLE `t` (\n  `id` int,\n  `v` text\n);\n" +
		"INSERT INTO `t` VALUES (1,'a;b'),(2,'it\\'s -- not a comment'),(3,\"dq;\");\n" +
		"DELIMITER ;;\n" +
		"CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.v = 'x'; END ;;\n" +
		"DELIMITER ;\n" +
		"/* block; comment */ SELECT 1;\n" +
		"SELECT 2"
	var got []string
	if err := splitStatements(strings.NewReader(dump), func(s string) error { got = append(got, s); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/*!40101 SET NAMES utf8mb4 */",
		"CREATE TABLE `t` (\n  `id` int,\n  `v` text\n)",
		"INSERT INTO `t` VALUES (1,'a;b'),(2,'it\\'s -- not a comment'),(3,\"dq;\")",
		"CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.v = 'x'; END",
		"/* block; comment */ SELECT 1",
		"SELECT 2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("statements:\n got %q\nwant %q", got, want)
	}
}

func TestDumpCounter(t *testing.T) {
	d := newDumpCounter(map[string]string{"wp_posts": "post_type"})
	stmts := []string{
		"CREATE TABLE `wp_posts` (\n  `ID` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n  `post_title` text NOT NULL,\n  `post_type` varchar(20) NOT NULL DEFAULT 'post',\n  PRIMARY KEY (`ID`)\n) ENGINE=InnoDB",
		"INSERT INTO `wp_posts` VALUES (1,'Hello, (world)','post'),(2,'a\\'b),(\\'c','page'),(3,_binary 'x','attachment')",
		"INSERT INTO `wp_posts` (`post_type`, `ID`, `post_title`) VALUES ('post',4,'NULL'),('post',5,NULL)",
		"INSERT INTO `wp_other` VALUES (1),(2)",
	}
	for _, s := range stmts {
		if err := d.add(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if d.rows["wp_posts"] != 5 || d.rows["wp_other"] != 2 {
		t.Errorf("rows = %v", d.rows)
	}
	if want := map[string]int64{"post": 3, "page": 1, "attachment": 1}; !reflect.DeepEqual(d.byValue["wp_posts"], want) {
		t.Errorf("post types = %v, want %v", d.byValue["wp_posts"], want)
	}
	if err := d.add("INSERT INTO `wp_posts` VALUES (1,'unterminated"); err == nil {
		t.Errorf("a truncated INSERT was counted without error")
	}
}
