package command

import "context"

// LoadRatings reads the rating index from the stream now, as the first
// rating command would: what BenchmarkRatingServerMemory measures.
func (s *Service) LoadRatings(ctx context.Context) error { return s.ratings.load(ctx, s.store) }
