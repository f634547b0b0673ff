package server

import "github.com/wharfhq/wharf/awsapi/ssm"

func init() {
	mounts = append(mounts, func(m *Mounter) {
		kr, err := openKeyring(m)
		svc := ssm.New(m.DB, kr, m.Log).Service()
		if err != nil {
			refuseAll(svc, err, m)
		}
		m.API.RegisterJSON(svc)
	})
}
