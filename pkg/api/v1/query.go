package v1

// Query is one query of the contract: its name, and zero values of its
// request and response types. The name is also the last part of the NATS
// subject its projection's replicas answer on.
type Query struct {
	Name     string
	Request  any
	Response any
}

// Queries are every query the projections answer. A gateway or a process
// manager that does not run the projection asks it of the projection's
// replicas by these names: a query missing here is answered in process
// only.
//
// Adding a query is its name and types in this package, an entry here,
// and its handler in the module of the projection that owns the data.
var Queries = []Query{
	{QueryFeedPage, FeedRequest{}, FeedPage{}},
	{QueryBalance, BalanceRequest{}, Balance{}},
	{QueryDensityTeam, DensityRequest{}, TeamDensity{}},
	{QueryDensityTenant, DensityRequest{}, TenantDensity{}},
	{QueryDensityMember, DensityRequest{}, MemberDensity{}},
	{QueryDensityGaps, DensityRequest{}, Gaps{}},
	{QueryNudges, NudgesRequest{}, Nudges{}},
}
