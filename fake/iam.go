package fake

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
)

// iamTimeFormat is how IAM shows expires_at and issued_at.
const iamTimeFormat = "2006-01-02T15:04:05.000000Z"

// iamPath is the path of the fake's IAM token endpoint.
const iamPath = "/v3/auth/tokens"

type iamRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password struct {
				User struct {
					Domain struct {
						Name string `json:"name"`
					} `json:"domain"`
					Name     string `json:"name"`
					Password string `json:"password"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope struct {
			Project struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"project"`
		} `json:"scope"`
	} `json:"auth"`
}

type iamName struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
}

type iamUser struct {
	Domain iamName `json:"domain"`
	ID     string  `json:"id"`
	Name   string  `json:"name"`
}

type iamProject struct {
	Domain iamName `json:"domain"`
	ID     string  `json:"id"`
	Name   string  `json:"name"`
}

type iamToken struct {
	ExpiresAt string     `json:"expires_at"`
	IssuedAt  string     `json:"issued_at"`
	Methods   []string   `json:"methods"`
	Project   iamProject `json:"project"`
	User      iamUser    `json:"user"`
}

// iamError answers an IAM-style error: Keystone's error object, plus the
// error_code and error_msg Huawei Cloud adds. The message never quotes the
// request.
func iamError(w http.ResponseWriter, status int, code, msg string) {
	var body struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Title   string `json:"title"`
		} `json:"error"`
		ErrorCode string `json:"error_code"`
		ErrorMsg  string `json:"error_msg"`
	}
	body.Error.Code, body.Error.Message, body.Error.Title = status, msg, http.StatusText(status)
	body.ErrorCode, body.ErrorMsg = code, msg
	writeJSON(w, status, body)
}

// serveIAM answers POST /v3/auth/tokens: a project-scoped password token
// for the configured IAM user, valid for the token lifetime.
func (s *Server) serveIAM(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		iamError(w, http.StatusMethodNotAllowed, "IAM.0004", "The method is not allowed for the requested URL.")
		return
	}
	var req iamRequest
	if err := json.Unmarshal(body, &req); err != nil {
		iamError(w, http.StatusBadRequest, "IAM.0003", "The request body is not valid JSON.")
		return
	}
	id := &req.Auth.Identity
	hasPassword := false
	for _, m := range id.Methods {
		hasPassword = hasPassword || m == "password"
	}
	u := &id.Password.User
	if !hasPassword || u.Name == "" || u.Password == "" || u.Domain.Name == "" {
		iamError(w, http.StatusBadRequest, "IAM.0003",
			"The request body must carry auth.identity.methods [\"password\"] and auth.identity.password.user with domain.name, name and password.")
		return
	}
	ok := subtle.ConstantTimeCompare([]byte(u.Password), []byte(s.iamPassword)) == 1
	ok = u.Name == s.iamUser && u.Domain.Name == s.iamDomain && ok
	if !ok {
		iamError(w, http.StatusUnauthorized, "IAM.0101", "The username or password is wrong.")
		return
	}
	p := &req.Auth.Scope.Project
	if p.ID != "" && p.ID != s.projectID {
		iamError(w, http.StatusNotFound, "IAM.0102", "Could not find project: the project ID is not the fake's project.")
		return
	}
	now := s.cfg.now()
	expires := now.Add(s.cfg.tokenLifetime)
	token := "MII" + randomString(125, mixedAlnum)
	s.tokens.add(token, expires, now)

	domainID := "d" + randomHex(15)
	var answer struct {
		Token iamToken `json:"token"`
	}
	answer.Token = iamToken{
		ExpiresAt: expires.UTC().Format(iamTimeFormat),
		IssuedAt:  now.UTC().Format(iamTimeFormat),
		Methods:   []string{"password"},
		Project:   iamProject{Domain: iamName{ID: domainID, Name: s.iamDomain}, ID: s.projectID, Name: s.projectName()},
		User:      iamUser{Domain: iamName{ID: domainID, Name: s.iamDomain}, ID: "u" + randomHex(15), Name: s.iamUser},
	}
	w.Header().Set("X-Subject-Token", token)
	writeJSON(w, http.StatusCreated, answer)
}

// projectName is the region-style name IAM shows for the fake's project.
func (s *Server) projectName() string { return "cn-north-4" }
