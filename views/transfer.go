package views

// ExportPage asks how to export the selected tokens.
type ExportPage struct {
	Page
	Names     []string
	IDs       []int64
	PostURL   string
	CancelURL string
	// Secrets is the "Include secrets" choice, kept on a rejected form
	// (the passphrase never is).
	Secrets bool
	Errors  map[string]string
	// MinPassphrase is the shortest passphrase accepted, in characters.
	MinPassphrase int
	// SecretsAllowed: the person may export secrets (administrators only).
	SecretsAllowed bool
}

// ImportPage is the upload form of Import.
type ImportPage struct {
	Page
	Heading   string
	PostURL   string
	CancelURL string
	// Problem says why the last upload was refused (also shown by its field).
	Errors map[string]string
	MaxMB  int
}

// ImportPreview says what an import would do, token by token.
type ImportPreview struct {
	Page
	Heading   string
	PostURL   string
	CancelURL string
	ImportURL string
	Draft     string
	Secrets   bool
	Rows      []ImportRow
	Problem   string
}

// ImportRow is one token of a file, in the preview.
type ImportRow struct {
	Index int
	Name  string
	Type  string
	// Status is "new", "would replace" or "conflict".
	Status string
	// Why explains a conflict; Notes say what else to know.
	Why   string
	Notes []string
	// Choices are the actions offered (import, replace, rename, skip);
	// Choice is the one selected.
	Choices []Option
	Choice  string
	// Rename is the new name typed for a conflict, and its error.
	Rename      string
	RenameError string
}
