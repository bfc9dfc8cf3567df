/** SMTP protocol pieces shared by the edge's server side and its next-hop client. */
package dev.portcullis.edge.protocol;
