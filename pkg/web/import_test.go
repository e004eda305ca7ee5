package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
)

// TestReadMembers: what the CSV reader makes of a file, and how it names
// the row at fault. The page tests cover the same through the form; these
// cover what only the reader sees, such as the line of each member.
func TestReadMembers(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	tests := []struct {
		name    string
		csv     string
		members []apiv1.ImportedMember
		lines   []int
		err     string
	}{
		{
			name: "every column, active both ways and left out",
			csv: "id,name,team,manager,time_zone,email,slack_user_id,teams_user_id,active\n" +
				"a,A,t,,UTC,a@x.org,U1,00000000-0000-0000-0000-000000000001,false\n" +
				"b,B,t,a,UTC,,,,True\n" +
				"c,C,t,a,UTC,,,,\n",
			members: []apiv1.ImportedMember{
				{ID: "a", MemberRequest: apiv1.MemberRequest{Name: "A", Team: "t", TimeZone: "UTC", Email: "a@x.org", SlackUserID: "U1",
					TeamsUserID: "00000000-0000-0000-0000-000000000001", Active: &no}},
				{ID: "b", MemberRequest: apiv1.MemberRequest{Name: "B", Team: "t", Manager: "a", TimeZone: "UTC", Active: &yes}},
				{ID: "c", MemberRequest: apiv1.MemberRequest{Name: "C", Team: "t", Manager: "a", TimeZone: "UTC"}},
			},
			lines: []int{2, 3, 4},
		},
		{
			name: "cells trimmed, a quoted cell over two lines, a blank line",
			csv:  " ID , Name ,team,time_zone\n a ,\"A\nB\",t, UTC \n\nc,C,t,UTC\n",
			members: []apiv1.ImportedMember{
				{ID: "a", MemberRequest: apiv1.MemberRequest{Name: "A\nB", Team: "t", TimeZone: "UTC"}},
				{ID: "c", MemberRequest: apiv1.MemberRequest{Name: "C", Team: "t", TimeZone: "UTC"}},
			},
			lines: []int{2, 5},
		},
		{name: "empty", csv: "", err: "the file is empty"},
		{name: "a column twice", csv: "id,name,team,time_zone,ID\n", err: "row 1: the id column appears twice"},
		{name: "no name column", csv: "id,team,time_zone\na,t,UTC\n", err: "row 1: the name column is missing"},
		{name: "a long row", csv: "id,name,team,time_zone\na,A,t,UTC,extra\n", err: "row 2: has 5 cells, the header 4"},
		{name: "active as yes", csv: "id,name,team,time_zone,active\na,A,t,UTC,yes\n", err: `row 2, active: "yes" is neither true nor false`},
		{name: "a quote left open", csv: "id,name,team,time_zone\na,\"A,t,UTC\n", err: "row 2 (line 2): "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			members, lines, err := readMembers(strings.NewReader(tt.csv))
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Fatalf("error %v, want one starting %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(members, tt.members, equalMember) || !slices.Equal(lines, tt.lines) {
				t.Errorf("members %s on lines %v,\nwant %s on lines %v", show(members), lines, show(tt.members), tt.lines)
			}
		})
	}
}

func equalMember(a, b apiv1.ImportedMember) bool {
	activeA, activeB := a.Active, b.Active
	a.Active, b.Active = nil, nil
	return a == b && (activeA == nil) == (activeB == nil) && (activeA == nil || *activeA == *activeB)
}

func show(ms []apiv1.ImportedMember) string {
	var b strings.Builder
	for _, m := range ms {
		active := "nil"
		if m.Active != nil {
			active = fmt.Sprint(*m.Active)
		}
		fmt.Fprintf(&b, "%+v active=%s; ", m, active)
	}
	return b.String()
}

// TestRowProblem: the API's refusal of an import in the file's terms.
func TestRowProblem(t *testing.T) {
	t.Parallel()
	lines := []int{2, 3, 5} // a blank line before the third member
	tests := []struct {
		p    apiv1.Problem
		want string
	}{
		{apiv1.Problem{Status: 422, Field: "members[1].time_zone", Detail: `members[1].time_zone: "Mars" is not an IANA time zone`},
			`row 3, time_zone: "Mars" is not an IANA time zone`},
		{apiv1.Problem{Status: 422, Field: "members[2].id", Detail: "members[2].id: lists \"a\" twice"}, `row 4 (line 5), id: lists "a" twice`},
		{apiv1.Problem{Status: 422, Field: "members[0]", Detail: "members[0]: is wrong"}, "row 2: is wrong"},
		{apiv1.Problem{Status: 422, Field: "members[7].id", Detail: "members[7].id: beyond the file"}, "beyond the file"},
		{apiv1.Problem{Status: 422, Field: "members", Detail: "members: needs at least one member"}, "needs at least one member"},
		{apiv1.Problem{Status: http.StatusRequestEntityTooLarge, Field: "body", Detail: "the body is larger than 64 KiB"},
			"the file is too large for one import (the body is larger than 64 KiB); split it into smaller files"},
	}
	for _, tt := range tests {
		if got := rowProblem(&tt.p, lines); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.p.Field, got, tt.want)
		}
	}
}

// FuzzReadMembers: any file is read or refused, never a panic; a refusal
// names a row or the file, and what is read is at least one member and
// at most maxImportRows, each with the line its row starts on, after the
// header's.
func FuzzReadMembers(f *testing.F) {
	f.Add("id,name,team,time_zone\na,A,t,UTC\n")
	f.Add("\ufeffid,name,team,time_zone,active\r\na,\"A\n\"\"B\"\"\",t,UTC,false\r\n")
	f.Add("time_zone,team,name,id,manager,email,slack_user_id,teams_user_id\nUTC,t,A,a,b,a@x,U1,x\n\n")
	f.Add("id,name\n\"")
	f.Fuzz(func(t *testing.T, csv string) {
		members, lines, err := readMembers(strings.NewReader(csv))
		if err != nil {
			if members != nil || lines != nil {
				t.Errorf("refused (%v) with members", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "row ") && !strings.HasPrefix(msg, "the file ") {
				t.Errorf("refusal %q names no row", msg)
			}
			return
		}
		if len(members) == 0 || len(members) > maxImportRows || len(lines) != len(members) {
			t.Errorf("%d members, %d lines", len(members), len(lines))
		}
		for i, l := range lines {
			if l < 2 || i > 0 && l <= lines[i-1] {
				t.Errorf("lines %v: not increasing from 2", lines)
			}
		}
	})
}
