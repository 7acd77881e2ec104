package fake

// HeldTokens returns how many IAM tokens the server holds.
func (s *Server) HeldTokens() int { return s.tokens.len() }
