package views

// PickerPage is Add Token's first step, "Select Application": the
// services in groups, searchable with JavaScript off (a GET form the
// server filters by) and on (the same filter as one types).
type PickerPage struct {
	Page
	// SearchURL is where the search form goes (the picker itself).
	SearchURL string
	Query     string
	Groups    []PickerGroup
	// Generic is "Can't find it? Use OAuth 2.0", always last and never
	// filtered out.
	Generic PickerCard
	// Shown and Total count the services the search leaves and all of them.
	Shown, Total int
}

// PickerGroup is one group of cards (Productivity and collaboration, …).
type PickerGroup struct {
	Name  string
	ID    string // for its heading's id
	Cards []PickerCard
}

// PickerCard is one service.
type PickerCard struct {
	Name    string
	Detail  string
	URL     string
	Retired string // "Retired by Zoom": the card is marked so
	// Search is the lowercased text the search matches (name, detail,
	// group, other names the service goes by).
	Search string
}
