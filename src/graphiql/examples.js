/*
 * The operations a fresh GraphiQL opens with, written against the API's
 * incidents(filter, first, after) and incident(id: ID!).
 */

export const OPEN_INCIDENTS_QUERY = `# Open incidents, 20 at a time.
# For the next page, add after: "<endCursor>" beside first.
query OpenIncidents {
  incidents(first: 20, filter: { status: OPEN }) {
    totalCount
    edges {
      node {
        id
        title
        severity
        confidence
        providers
        regions
        costImpact {
          amount
          currency
        }
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`;

export const INCIDENT_EVIDENCE_QUERY = `# One incident with the signals that raised it.
# Put an id from OpenIncidents into the variables below.
query IncidentEvidence($id: ID!) {
  incident(id: $id) {
    id
    title
    attackVector {
      principals
      accessKeyIds
      sourceIps
    }
    evidence {
      rule
      weight
      signal {
        id
        kind
        source
        sourceId
        provider
        accountId
        region
        observedAt
      }
    }
    recommendedActions
  }
}
`;

export const INCIDENT_EVIDENCE_VARIABLES = JSON.stringify({ id: '<incident id>' }, null, 2);

export const INCIDENT_EVENTS_SUBSCRIPTION = `# Live: every incident change as it commits, on any replica.
# Run it and leave the tab open.
subscription IncidentEvents {
  incidentEvents {
    id
    type
    at
    incident {
      id
      title
      severity
      status
      costImpact {
        amount
        currency
      }
    }
  }
}
`;
