package web

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/command"
)

// maxImportRows bounds the members of one upload. The file goes to the
// API as one import, which is atomic (all of its members or none) and
// holds at most command.MaxImport members, so a larger file would only be
// refused there. Splitting it into several imports would give up the
// atomicity: a refusal halfway would leave the first part imported.
const maxImportRows = command.MaxImport

// importColumns are the columns a CSV import may have, in the order the
// page lists them; requiredColumns must be among them. Every other field
// of a member is optional: an empty cell leaves it empty.
var (
	importColumns   = []string{"id", "name", "team", "manager", "time_zone", "email", "slack_user_id", "teams_user_id", "active"}
	requiredColumns = []string{"id", "name", "team", "time_zone"}
)

// importMembers sends an uploaded CSV file to the API as one import.
// The file's form (its columns, its rows' lengths, the active column's
// true and false) is checked here, before anything is sent; what a member
// may be (a valid id, a known time zone) is the API's to say, and its
// refusal names the file's row.
func (s *Server) importMembers(w http.ResponseWriter, r *http.Request, v *viewer) {
	d := adminData{Errors: map[string]string{}}
	members, lines, err := uploadedMembers(r)
	if err != nil {
		d.Errors["file"] = err.Error()
		s.renderAdmin(w, r, v, http.StatusUnprocessableEntity, d)
		return
	}
	var out apiv1.Written
	if p := s.call(r, v, http.MethodPut, "/v1/members", apiv1.ImportRequest{Members: members}, &out); p != nil {
		if !formsProblem(p) {
			s.failProblem(w, r, v, p)
			return
		}
		d.Errors["file"] = rowProblem(p, lines)
		s.renderAdmin(w, r, v, p.Status, d)
		return
	}
	http.Redirect(w, r, withMinSeq("/admin?imported="+strconv.Itoa(len(members)), out.Seq), http.StatusSeeOther)
}

// uploadedMembers reads the form's file.
func uploadedMembers(r *http.Request) ([]apiv1.ImportedMember, []int, error) {
	f, _, err := r.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) {
		return nil, nil, errors.New("choose a CSV file to import")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("the file could not be read: %w", err)
	}
	defer f.Close()
	return readMembers(f)
}

// readMembers reads a CSV file of members: a header row naming the
// columns (importColumns, in any order, requiredColumns among them), then
// one member per row. A row is a record, the header being row 1: a quoted
// cell may span lines. It returns the members and the line each one's row
// starts on, or an error naming the row, and the column where there is
// one ("row 3, active: …").
func readMembers(rd io.Reader) ([]apiv1.ImportedMember, []int, error) {
	cr := csv.NewReader(rd)
	cr.FieldsPerRecord = -1 // a short row is refused below, by its row
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, errors.New("the file is empty: its first row names the columns, such as " + strings.Join(requiredColumns, ","))
	}
	if err != nil {
		return nil, nil, csvError(1, err)
	}
	col := map[string]int{}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // the byte-order mark spreadsheets write
		}
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(importColumns, h) {
			return nil, nil, fmt.Errorf("row 1: %q is not a column of the import; the columns are %s", h, strings.Join(importColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, nil, fmt.Errorf("row 1: the %s column appears twice", h)
		}
		col[h] = i
	}
	for _, c := range requiredColumns {
		if _, ok := col[c]; !ok {
			return nil, nil, fmt.Errorf("row 1: the %s column is missing; %s are required", c, strings.Join(requiredColumns, ", "))
		}
	}
	var (
		members []apiv1.ImportedMember
		lines   []int
	)
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, csvError(row, err)
		}
		if len(members) == maxImportRows {
			return nil, nil, fmt.Errorf("the file has more than %d members; import at most %d at a time, in several files", maxImportRows, maxImportRows)
		}
		if len(rec) != len(header) {
			return nil, nil, fmt.Errorf("row %d: has %d cells, the header %d", row, len(rec), len(header))
		}
		cell := func(c string) string {
			if i, ok := col[c]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		m := apiv1.ImportedMember{ID: cell("id"), MemberRequest: apiv1.MemberRequest{
			Name: cell("name"), Team: cell("team"), Manager: cell("manager"), TimeZone: cell("time_zone"),
			Email: cell("email"), SlackUserID: cell("slack_user_id"), TeamsUserID: cell("teams_user_id"),
		}}
		switch a := strings.ToLower(cell("active")); a {
		case "": // active, as the API takes a member without the field
		case "true", "false":
			active := a == "true"
			m.Active = &active
		default:
			return nil, nil, fmt.Errorf("row %d, active: %q is neither true nor false", row, cell("active"))
		}
		line, _ := cr.FieldPos(0)
		members = append(members, m)
		lines = append(lines, line)
	}
	if len(members) == 0 {
		return nil, nil, errors.New("the file has a header row but no members")
	}
	return members, lines, nil
}

// csvError names the row of a CSV syntax error; the reader's own message
// counts lines, and a quoted cell may span several.
func csvError(row int, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("row %d (line %d): %w", row, pe.Line, pe.Err)
	}
	return fmt.Errorf("row %d: %w", row, err)
}

// importField is the field of an import's refusal that names a member
// by its place: "members[2].time_zone".
var importField = regexp.MustCompile(`^members\[(\d+)\](?:\.(.+))?$`)

// rowProblem says an API refusal of an import in the file's terms: the
// API names a member by its place in the import ("members[2].time_zone"),
// the page by its row, the header being row 1 ("row 4, time_zone"), and
// by the line it starts on where that differs (a blank line, or a quoted
// cell over several). A file too large for the API's body limit, which
// may come before the limit of members, is refused as a whole.
func rowProblem(p *apiv1.Problem, lines []int) string {
	if p.Status == http.StatusRequestEntityTooLarge {
		return "the file is too large for one import (" + reasonOf(p) + "); split it into smaller files"
	}
	m := importField.FindStringSubmatch(p.Field)
	if m == nil {
		return reasonOf(p)
	}
	i, err := strconv.Atoi(m[1])
	if err != nil || i >= len(lines) {
		return reasonOf(p)
	}
	where := "row " + strconv.Itoa(i+2)
	if lines[i] != i+2 {
		where += " (line " + strconv.Itoa(lines[i]) + ")"
	}
	if m[2] != "" {
		where += ", " + m[2]
	}
	return where + ": " + reasonOf(p)
}
