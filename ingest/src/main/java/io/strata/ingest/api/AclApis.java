package io.strata.ingest.api;

import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.message.CreateAclsRequestData;
import org.apache.kafka.common.message.CreateAclsResponseData;
import org.apache.kafka.common.message.DeleteAclsRequestData;
import org.apache.kafka.common.message.DeleteAclsResponseData;
import org.apache.kafka.common.message.DescribeAclsRequestData;
import org.apache.kafka.common.message.DescribeAclsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.CreateAclsRequest;
import org.apache.kafka.common.requests.DeleteAclsResponse;
import org.apache.kafka.common.requests.DescribeAclsResponse;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.server.authorizer.AclCreateResult;
import org.apache.kafka.server.authorizer.AclDeleteResult;
import org.apache.kafka.server.authorizer.Authorizer;

import java.util.ArrayList;
import java.util.List;

/**
 * CreateAcls, DescribeAcls and DeleteAcls over the {@link Authorizer}, so Kafka's
 * {@code kafka-acls} and Admin's ACL calls work. With no authorizer configured they answer
 * SECURITY_DISABLED, as Kafka does. The caller's ALTER or DESCRIBE on the cluster is checked
 * before this handler runs ({@link RequestAuthorizer}).
 */
final class AclApis {
    private final Authorizer authorizer;

    AclApis(Authorizer authorizer) {
        this.authorizer = authorizer;
    }

    CreateAclsResponseData create(CreateAclsRequestData req) {
        CreateAclsResponseData resp = new CreateAclsResponseData();
        if (authorizer == null) {
            req.creations().forEach(c -> resp.results().add(disabled(new CreateAclsResponseData.AclCreationResult())));
            return resp;
        }
        List<AclBinding> bindings = new ArrayList<>();
        for (CreateAclsRequestData.AclCreation c : req.creations()) {
            bindings.add(CreateAclsRequest.aclBinding(c));
        }
        for (var f : authorizer.createAcls(null, bindings)) {
            AclCreateResult result = f.toCompletableFuture().join();
            ApiError e = result.exception().map(ApiError::fromThrowable).orElse(ApiError.NONE);
            resp.results().add(new CreateAclsResponseData.AclCreationResult().setErrorCode(e.error().code()).setErrorMessage(e.message()));
        }
        return resp;
    }

    DescribeAclsResponseData describe(DescribeAclsRequestData req) {
        if (authorizer == null) {
            return new DescribeAclsResponseData().setErrorCode(Errors.SECURITY_DISABLED.code())
                    .setErrorMessage("No Authorizer is configured: set authorizer.enabled=true");
        }
        AclBindingFilter filter = new AclBindingFilter(
                new ResourcePatternFilter(ResourceType.fromCode(req.resourceTypeFilter()), req.resourceNameFilter(),
                        PatternType.fromCode(req.patternTypeFilter())),
                new AccessControlEntryFilter(req.principalFilter(), req.hostFilter(), AclOperation.fromCode(req.operation()),
                        AclPermissionType.fromCode(req.permissionType())));
        return new DescribeAclsResponseData().setErrorCode(Errors.NONE.code())
                .setResources(DescribeAclsResponse.aclsResources(authorizer.acls(filter)));
    }

    DeleteAclsResponseData delete(DeleteAclsRequestData req) {
        DeleteAclsResponseData resp = new DeleteAclsResponseData();
        if (authorizer == null) {
            req.filters().forEach(f -> resp.filterResults().add(disabled(new DeleteAclsResponseData.DeleteAclsFilterResult())));
            return resp;
        }
        List<AclBindingFilter> filters = new ArrayList<>();
        for (DeleteAclsRequestData.DeleteAclsFilter f : req.filters()) {
            filters.add(new AclBindingFilter(
                    new ResourcePatternFilter(ResourceType.fromCode(f.resourceTypeFilter()), f.resourceNameFilter(),
                            PatternType.fromCode(f.patternTypeFilter())),
                    new AccessControlEntryFilter(f.principalFilter(), f.hostFilter(), AclOperation.fromCode(f.operation()),
                            AclPermissionType.fromCode(f.permissionType()))));
        }
        for (var f : authorizer.deleteAcls(null, filters)) {
            AclDeleteResult result = f.toCompletableFuture().join();
            resp.filterResults().add(DeleteAclsResponse.filterResult(result));
        }
        return resp;
    }

    private static CreateAclsResponseData.AclCreationResult disabled(CreateAclsResponseData.AclCreationResult r) {
        return r.setErrorCode(Errors.SECURITY_DISABLED.code()).setErrorMessage("No Authorizer is configured: set authorizer.enabled=true");
    }

    private static DeleteAclsResponseData.DeleteAclsFilterResult disabled(DeleteAclsResponseData.DeleteAclsFilterResult r) {
        return r.setErrorCode(Errors.SECURITY_DISABLED.code()).setErrorMessage("No Authorizer is configured: set authorizer.enabled=true");
    }
}
